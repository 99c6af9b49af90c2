// The API's Cloud Ops reads, run by the workers as activities on the task queue whose activity rate the Temporal
// server limits (src/worker): every API process's reads then count against the account's requests per second,
// with the windows' calls, instead of being spent outside it (docs/how-a-window-runs.md, "The account's limits").
import { randomUUID } from 'node:crypto';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApiError, withTemporalDeadline } from '../api/plugins/errors.js';
import { CLOUD_OPS_READ_WORKFLOW, type CloudOpsRead, type CloudOpsReadFailure } from '../shared/index.js';
import type { IdentityMsg } from './client.js';
import { checkTrus } from './capacity.js';
import { CloudOpsError, type CloudOpsErrorKind } from './errors.js';
import type { CapacityReader, NamespaceCapacityView, TruCheck, TruOptions } from './types.js';

/** How long a read may wait for a worker and the budget, and run: below the API's 10 s Temporal deadline. */
export const READ_TIMEOUT_MS = 9_000;

export class BudgetedReader implements CapacityReader {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
  ) {}

  readCapacity(namespace: string): Promise<NamespaceCapacityView> {
    return this.read({ kind: 'capacity', namespace });
  }

  readTruOptions(namespace: string): Promise<TruOptions> {
    return this.read({ kind: 'truOptions', namespace });
  }

  checkTrus(options: TruOptions, trus: number): TruCheck {
    return checkTrus(options, trus);
  }

  identity(): Promise<IdentityMsg> {
    return this.read({ kind: 'identity' });
  }

  private async read<T>(read: CloudOpsRead): Promise<T> {
    try {
      return (await withTemporalDeadline(
        this.temporal,
        () =>
          this.temporal.workflow.execute(CLOUD_OPS_READ_WORKFLOW, {
            workflowId: `cloud-ops-read-${randomUUID()}`,
            taskQueue: this.taskQueue,
            args: [read],
            workflowExecutionTimeout: READ_TIMEOUT_MS,
          }),
        READ_TIMEOUT_MS + 1_000,
      )) as T;
    } catch (err) {
      throw readError(err);
    }
  }
}

/** A Cloud Ops failure as the CloudOpsError it was; a read that no worker ran in time as a 503 of its own. */
function readError(err: unknown): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  const failure = err.cause instanceof ActivityFailure ? err.cause.cause : undefined;
  if (failure instanceof ApplicationFailure && failure.details?.length) {
    const { kind, grpcCode } = failure.details[0] as CloudOpsReadFailure;
    return new CloudOpsError(kind as CloudOpsErrorKind, failure.message, grpcCode);
  }
  return new ApiError(
    503,
    'CLOUD_OPS_BUDGET_UNAVAILABLE',
    `the Cloud Ops read did not complete within ${READ_TIMEOUT_MS / 1000} s: no worker ran it (none polls the ` +
      "task queue, or the account's request budget is spent for now); try again",
  );
}

import { ApplicationFailure, Context } from '@temporalio/activity';
import { CapacityRuleError, type CapacityService } from '../cloud-ops/capacity.js';
import { CloudOpsError } from '../cloud-ops/errors.js';
import type { Notifier } from '../notify/slack.js';
import {
  FailureType,
  type AlertInput,
  type ApplyCapacityInput,
  type ApplyCapacityResult,
  type VerifyCapacityInput,
  type VerifyCapacityResult,
} from '../shared/index.js';

export interface ActivityDeps {
  capacity: CapacityService;
  notifier: Notifier;
}

/** Turns a Cloud Ops or rule failure into the ApplicationFailure the workflow's retry policy decides on. */
function toFailure(err: unknown): never {
  if (err instanceof CapacityRuleError) throw ApplicationFailure.nonRetryable(err.message, err.type);
  if (err instanceof CloudOpsError) {
    if (err.retryable) throw ApplicationFailure.retryable(err.message, `CloudOps${err.kind}`);
    throw ApplicationFailure.nonRetryable(err.message, FailureType.NonRetryable);
  }
  throw err;
}

export function createActivities(deps: ActivityDeps) {
  const heartbeat = (what: string) => Context.current().heartbeat(what);

  return {
    /** Checks the TRU value against capacity info; a request in progress is waited out by retries. */
    async validateCapacity(input: { namespace: string; trus: number }): Promise<void> {
      try {
        const view = await deps.capacity.readCapacity(input.namespace);
        const check = deps.capacity.checkTrus(view, input.trus);
        if (!check.ok) throw ApplicationFailure.nonRetryable(check.message, FailureType.InvalidTruValue);
        if (view.latestRequest?.state === 'IN_PROGRESS') {
          throw ApplicationFailure.retryable('a capacity request is in progress on the namespace', 'RequestInProgress');
        }
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        toFailure(err);
      }
    },

    async applyCapacity(input: ApplyCapacityInput): Promise<ApplyCapacityResult> {
      try {
        return { asyncOperationId: await deps.capacity.setCapacity(input.namespace, input.target, input.asyncOperationId) };
      } catch (err) {
        toFailure(err);
      }
    },

    async verifyCapacity(input: VerifyCapacityInput): Promise<VerifyCapacityResult> {
      try {
        const observed = await deps.capacity.verify(input.namespace, input.target, input.asyncOperationId, {
          deadline: input.deadline,
          onPoll: heartbeat,
        });
        return { observed };
      } catch (err) {
        toFailure(err);
      }
    },

    async notifySlack(alert: AlertInput): Promise<boolean> {
      return deps.notifier.notify(alert);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

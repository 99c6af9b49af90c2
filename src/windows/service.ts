// Capacity windows: starting one (or replaying it for a retried Idempotency-Key), planning one without
// starting it, reading, cancelling, moving its end and listing. Every Temporal call of the windows API is here.
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import type { Logger } from 'pino';
import { ApiError, toApiError, withTemporalDeadline } from '../api/plugins/errors.js';
import type {
  CapacityChangeList,
  CapacityChangeSummary,
  ListCapacityChangesQuery,
} from '../api/routes/capacity-changes/list-schema.js';
import type {
  CapacityChange,
  CapacityChangeAccepted,
  CapacityChangeCancelAccepted,
  CapacityChangeReplayed,
  CreateCapacityChange,
  DryRunPlan,
  MoveEnd,
} from '../api/routes/capacity-changes/schema.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { checkGuardrails } from '../guardrails.js';
import {
  CAPACITY_WINDOW_WORKFLOW,
  cancelSignal,
  controllerStateQuery,
  controllerWorkflowId,
  parseWindowId,
  setEndUpdate,
  windowIdOf,
  type AuditStamp,
  type CancelRequest,
  type CapacityWindowResult,
  type ControllerState,
  type WindowMemo,
} from '../shared/index.js';
import { bodyHash, replayOf, workflowIdFor } from './idempotency.js';
import { ReportsService, ZERO } from '../reports/service.js';
import { holdOf } from '../reports/visibility.js';
import {
  buildListQuery,
  decodePageToken,
  encodePageToken,
  invalidPageToken,
  summaryOf,
  type WindowSummary,
} from './listing.js';
import { dryRunPlan } from './plan.js';
import { windowLink, windowView, withTruHours } from './read-model.js';
import { windowStartOptions } from './start.js';
import { checkOneEnd, guardedRequest, requestedEnd, resolveWindow, type WindowTimes } from './times.js';

/** Throws when the caller may not act on this namespace (see checkNamespace in the auth plugin). */
export type NamespaceAccess = (namespace: string) => void;

export interface WindowsDeps {
  temporal: Client;
  capacity: CapacityReader;
  config: Config;
  logger: Logger;
}

export class WindowsService {
  private readonly temporal: Client;
  private readonly capacity: CapacityReader;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly tru: ReportsService;

  constructor({ temporal, capacity, config, logger }: WindowsDeps) {
    this.tru = new ReportsService({ temporal, config });
    this.temporal = temporal;
    this.capacity = capacity;
    this.config = config;
    this.logger = logger;
  }

  /** Starts a window; `replayed` when its Idempotency-Key had already started it (with the same body). */
  async create(
    body: CreateCapacityChange,
    key: string | undefined,
    created: AuditStamp,
  ): Promise<{ window: CapacityChangeAccepted | CapacityChangeReplayed; replayed: boolean }> {
    const hash = bodyHash(body);
    const workflowId = workflowIdFor(body.namespace, key);
    const now = Date.now();
    const times = resolveWindow(body, now);
    const phase = times.start > now ? 'SCHEDULED' : 'PENDING';
    const violation = checkGuardrails(this.config.guardrails, guardedRequest(body, times));
    if (violation) throw new ApiError(422, violation.code, violation.message);
    const check = this.capacity.checkTrus(await this.capacity.readTruOptions(body.namespace), body.trus);
    if (!check.ok) throw new ApiError(422, check.code, check.message);

    const options = windowStartOptions(
      { body, workflowId, times, phase, created, ...(key !== undefined && { idempotency: { key, bodySha256: hash } }) },
      this.config,
    );
    let handle;
    try {
      handle = await this.deadline(() => this.temporal.workflow.start(CAPACITY_WINDOW_WORKFLOW, options));
    } catch (err) {
      // Retries with one key, concurrent or not: Temporal lets exactly one start; the others find it here.
      if (key === undefined || !(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const original = await this.deadline(() => this.temporal.workflow.getHandle(workflowId).describe());
      return { window: replayOf(original, hash), replayed: true };
    }
    const id = windowIdOf(handle.workflowId, handle.firstExecutionRunId);
    this.logger.info(
      { workflowId, namespace: body.namespace, trus: body.trus, endAt: times.endAt },
      'capacity window started',
    );
    return { window: { id, status: 'RUNNING', phase, links: { self: windowLink(id) } }, replayed: false };
  }

  /** The same checks as create, collected instead of thrown, and what would change when; starts nothing. */
  async plan(body: CreateCapacityChange): Promise<DryRunPlan> {
    const problems: { code: string; message: string }[] = [];
    let window: WindowTimes | null = null;
    try {
      window = resolveWindow(body, Date.now());
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 422) throw err;
      problems.push({ code: err.code, message: err.message });
    }
    const view = await this.capacity.readCapacity(body.namespace);
    const check = this.capacity.checkTrus(view, body.trus);
    if (!check.ok) problems.push({ code: check.code, message: check.message });
    const violation = window && checkGuardrails(this.config.guardrails, guardedRequest(body, window));
    if (violation) problems.push(violation);
    const controller = await this.controllerState(body.namespace);
    return dryRunPlan({
      body,
      window,
      current: view.current,
      controller,
      problems,
      leadMs: this.config.policy.provisioningLeadMs ?? 0,
      minIntervalMs: this.config.policy.minChangeIntervalMs ?? 0,
      nowMs: Date.now(),
    });
  }

  /**
   * The window as its workflow reports it, from one describe (plus the result once it completed). `access`
   * refuses a caller who may not see its namespace, before anything of it is shown.
   */
  async get(id: string, access: NamespaceAccess): Promise<CapacityChange> {
    const handle = this.handleOf(id);
    const desc = await this.deadline(() => handle.describe());
    const namespace = (desc.memo as WindowMemo | undefined)?.window?.namespace;
    if (namespace !== undefined) access(namespace);
    const result =
      desc.status.name === 'COMPLETED'
        ? await this.deadline(() => handle.result() as Promise<CapacityWindowResult>)
        : null;
    const view = windowView(id, desc, result);
    const held = view.held && {
      id,
      namespace: view.namespace,
      fromMs: Date.parse(view.held.from),
      untilMs: view.held.until === null ? null : Date.parse(view.held.until),
    };
    const figures = held ? ((await this.tru.figuresOf([held])).get(id) ?? ZERO) : ZERO;
    return withTruHours(view, figures);
  }

  /** `request.by` and `request.requestId` land in the window's CANCEL step. */
  async cancel(id: string, request: CancelRequest, access: NamespaceAccess): Promise<CapacityChangeCancelAccepted> {
    const window = await this.requireRunning(id, access);
    await this.deadline(() => this.handleOf(id).signal(cancelSignal, request));
    this.logger.info({ windowId: id, by: request.by }, 'capacity window cancelled');
    return { id, status: 'RUNNING', phase: window.phase, links: { self: windowLink(id) } };
  }

  /** Moves the window's end; the window itself refuses an end it cannot honour (END_REJECTED). */
  async moveEnd(id: string, change: MoveEnd, stamp: AuditStamp, access: NamespaceAccess): Promise<CapacityChange> {
    checkOneEnd(change);
    const window = await this.requireRunning(id, access);
    const endAt = requestedEnd(window.startAt, change);
    const { maxWindowMs } = this.config.guardrails;
    const maxEndAt = maxWindowMs === null ? null : new Date(Date.parse(window.startAt) + maxWindowMs).toISOString();
    try {
      await this.deadline(() =>
        this.handleOf(id).executeUpdate(setEndUpdate, {
          args: [{ endAt, maxEndAt, by: stamp.by, requestId: stamp.requestId }],
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new ApiError(
          422,
          'END_REJECTED',
          err.cause instanceof Error ? err.cause.message : 'the window refused the new end',
        );
      }
      throw err;
    }
    return this.get(id, access);
  }

  /** One page of windows from Temporal visibility. */
  async list(q: ListCapacityChangesQuery): Promise<CapacityChangeList> {
    if (q.from !== undefined && q.to !== undefined && Date.parse(q.from) > Date.parse(q.to)) {
      throw new ApiError(422, 'INVALID_TIME_RANGE', 'querystring.from is after querystring.to');
    }
    const query = buildListQuery(q);
    const pageSize = Number(q.pageSize);
    let nextPageToken: Uint8Array = Buffer.alloc(0);
    if (q.pageToken !== undefined) {
      const token = decodePageToken(query, q.pageToken);
      if (token === undefined) throw invalidPageToken();
      nextPageToken = token;
    }
    const { namespace } = this.temporal.options;
    let response;
    try {
      response = await this.deadline(() =>
        this.temporal.workflowService.listWorkflowExecutions({ namespace, query, pageSize, nextPageToken }),
      );
    } catch (err) {
      // Our query is built from validated values; what Temporal can still refuse is a token it cannot read.
      if (q.pageToken !== undefined && isGrpcServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT)
        throw invalidPageToken();
      throw err;
    }
    const executions = response.executions ?? [];
    const summaries = executions.map(summaryOf).filter((s): s is WindowSummary => s !== undefined);
    const figures = await this.tru.figuresOf(executions.flatMap((raw) => holdOf(raw) ?? []));
    const items: CapacityChangeSummary[] = summaries.map((s) => ({ ...s, ...(figures.get(s.id) ?? ZERO) }));
    const next = response.nextPageToken;
    return { items, nextPageToken: next && next.length > 0 ? encodePageToken(query, next) : null };
  }

  private deadline<R>(fn: () => Promise<R>): Promise<R> {
    return withTemporalDeadline(this.temporal, fn);
  }

  private handleOf(id: string) {
    const parsed = parseWindowId(id);
    if (!parsed) throw new ApiError(404, 'WINDOW_NOT_FOUND', 'no capacity window with this id');
    return this.temporal.workflow.getHandle(parsed.workflowId, parsed.runId);
  }

  private async requireRunning(id: string, access: NamespaceAccess): Promise<CapacityChange> {
    const window = await this.get(id, access);
    if (window.status !== 'RUNNING')
      throw new ApiError(409, 'WINDOW_CLOSED', `the window has already ended (${window.status})`);
    return window;
  }

  /** The namespace's controller's state, when one runs: the claims active now and the baseline it keeps. */
  private async controllerState(namespace: string): Promise<ControllerState | null> {
    const handle = this.temporal.workflow.getHandle(controllerWorkflowId(namespace));
    try {
      const desc = await this.deadline(() => handle.describe());
      if (desc.status.name !== 'RUNNING') return null;
      return await this.deadline(() => handle.query(controllerStateQuery));
    } catch (err) {
      if (toApiError(err)?.code === 'WINDOW_NOT_FOUND') return null;
      throw err;
    }
  }
}

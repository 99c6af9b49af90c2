import type { temporal } from '@temporalio/proto';
import {
  FailureType,
  ON_DEMAND,
  describeTarget,
  provisioned,
  sameTarget,
  type CapacityTarget,
  type ObservedCapacity,
} from '../shared/index.js';
import { driftedTo, type DriftRead } from '../workflows/decisions/drift.js';
import type { CloudOps, AsyncOperationMsg, CapacityInfoMsg, IdentityMsg, NamespaceMsg } from './client.js';
import { CloudOpsError } from './errors.js';
import type { CapacityReader, NamespaceCapacityView, TruCheck, TruOptions } from './types.js';

type CapacityMsg = temporal.api.cloud.namespace.v1.Capacity.$Properties;
type CapacitySpecMsg = temporal.api.cloud.namespace.v1.CapacitySpec.$Properties;

// Proto enum values, spelled out: the client decodes enums as numbers.
const OP_STATE = { PENDING: 1, IN_PROGRESS: 2, FAILED: 3, CANCELLED: 4, FULFILLED: 5, REJECTED: 6 } as const;
const OP_STATE_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP_STATE).map(([k, v]) => [v, k]));
const TERMINAL_OP_STATES = new Set<number>([
  OP_STATE.FAILED,
  OP_STATE.CANCELLED,
  OP_STATE.FULFILLED,
  OP_STATE.REJECTED,
]);
const REQUEST_STATE: Record<number, NonNullable<ObservedCapacity['latestRequest']>['state']> = {
  1: 'COMPLETED',
  2: 'IN_PROGRESS',
  3: 'FAILED',
};

/** A failure of the verification rules; `type` is one of FailureType, so activities can map it as is. */
export class CapacityRuleError extends Error {
  constructor(
    readonly type: (typeof FailureType)[keyof typeof FailureType],
    message: string,
  ) {
    super(message);
    this.name = 'CapacityRuleError';
  }
}

/** The namespace shows something else than the controller expected: the change was not sent. */
export class DriftError extends CapacityRuleError {
  constructor(
    readonly read: DriftRead,
    found: CapacityTarget,
    expected: CapacityTarget,
  ) {
    super(
      FailureType.Drift,
      `the namespace has ${describeTarget(found)}, not the ${describeTarget(expected)} last verified: someone else changed it; nothing was sent`,
    );
    this.name = 'DriftError';
  }
}

/** What drift detection needs of a namespace: its capacity, what its spec asks for, and whether a request is under way. */
export function driftReadOf(ns: Pick<NamespaceMsg, 'capacity' | 'spec'>): DriftRead {
  const observed = observedFrom('', ns);
  return {
    current: observed.current,
    requested: requestedTarget(ns),
    inProgress: observed.latestRequest?.state === 'IN_PROGRESS',
  };
}

function timestamp(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return null;
  const ms = Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return ms > 0 ? new Date(ms).toISOString() : null;
}

function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null {
  if (!d) return null;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

function currentTarget(capacity: CapacityMsg | null | undefined): CapacityTarget {
  const value = capacity?.provisioned?.currentValue;
  return typeof value === 'number' && value > 0 ? provisioned(value) : ON_DEMAND;
}

export function specFor(target: CapacityTarget): CapacitySpecMsg {
  return target.mode === 'ON_DEMAND' ? { onDemand: {} } : { provisioned: { value: target.trus } };
}

/** What the namespace's spec asks for (null: the spec names no capacity mode). */
export function requestedTarget(ns: Pick<NamespaceMsg, 'spec'>): CapacityTarget | null {
  const spec = ns.spec?.capacitySpec;
  if (spec?.provisioned) return provisioned(Number(spec.provisioned.value ?? 0));
  if (spec?.onDemand) return ON_DEMAND;
  return null;
}

export function observedFrom(namespace: string, ns: Pick<NamespaceMsg, 'capacity'>): ObservedCapacity {
  const req = ns.capacity?.latestRequest;
  return {
    namespace,
    current: currentTarget(ns.capacity),
    latestRequest: req
      ? {
          state: REQUEST_STATE[Number(req.state)] ?? 'UNSPECIFIED',
          asyncOperationId: req.asyncOperationId || null,
          startTime: timestamp(req.startTime),
          endTime: timestamp(req.endTime),
        }
      : null,
  };
}

function truOptionsFrom(info: CapacityInfoMsg): TruOptions {
  const options = info.modeOptions?.provisioned;
  return {
    validTruValues: [...(options?.validTruValues ?? [])].sort((a, b) => a - b),
    // proto3 reads an absent value as 0: no inventory figure, not "nothing available" (UpdateNamespace still refuses).
    maxAvailableTruValue:
      typeof options?.maxAvailableTruValue === 'number' && options.maxAvailableTruValue > 0
        ? options.maxAvailableTruValue
        : null,
  };
}

export function viewFrom(namespace: string, ns: NamespaceMsg, info: CapacityInfoMsg): NamespaceCapacityView {
  const aps = info.stats?.aps;
  return {
    ...observedFrom(namespace, ns),
    requested: requestedTarget(ns),
    ...truOptionsFrom(info),
    apsStats: aps ? { mean: aps.mean ?? 0, p90: aps.p90 ?? 0, p99: aps.p99 ?? 0 } : null,
    hasLegacyLimits: info.hasLegacyLimits === true,
  };
}

/** The TRU rule: a value the namespace lists as valid, and no higher than what inventory has now. */
export function checkTrus(view: TruOptions, trus: number): TruCheck {
  const valid = view.validTruValues;
  if (!valid.includes(trus)) {
    return {
      ok: false,
      code: 'TRU_VALUE_NOT_ALLOWED',
      message: `${trus} TRUs is not a valid value for this namespace; valid values: ${valid.join(', ')}`,
      validTruValues: valid,
    };
  }
  if (view.maxAvailableTruValue !== null && trus > view.maxAvailableTruValue) {
    const available = valid.filter((v) => v <= (view.maxAvailableTruValue as number));
    return {
      ok: false,
      code: 'TRU_VALUE_UNAVAILABLE',
      message: `${trus} TRUs is above what is available now (${view.maxAvailableTruValue}); available values: ${available.join(', ')}`,
      validTruValues: available,
    };
  }
  return { ok: true };
}

/** How long an apply waits for the spec to be put back to the namespace's capacity (below the activity's 30 s). */
const REALIGN_WAIT_MS = 20_000;

/** How many times a concurrent spec change is re-read and retried at once, before the caller's backoff. */
const STALE_VERSION_RETRIES = 3;

/** The Cloud Ops calls the rules use; tests hand in an in-memory fake. */
export type CloudOpsPort = Pick<
  CloudOps,
  'getNamespace' | 'getCapacityInfo' | 'updateNamespace' | 'getAsyncOperation' | 'getCurrentIdentity'
>;

/** Time as the polling loops see it; tests hand in a fake one to check deadlines and waits exactly. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  /** Absolute time (epoch ms) after which verification gives up; the first look is always taken. */
  deadline: number;
  /** Called on every poll, so an activity can heartbeat and notice cancellation. */
  onPoll?: (what: string) => void;
}

/** The wait between looks when the operation names no checkDuration; and between retries of a failed read. */
const DEFAULT_CHECK_MS = 250;
const READ_RETRY_MS = 250;

/** The API's checkDuration is the least wait before it wants to be asked again. */
function paceMs(checkDurationMs: number | null): number {
  return checkDurationMs !== null && checkDurationMs > 0 ? checkDurationMs : DEFAULT_CHECK_MS;
}

/**
 * The capacity rules on top of the Cloud Ops port: read, validate, change only capacitySpec, and verify
 * that the change really took effect.
 */
export class CapacityService implements CapacityReader {
  constructor(
    private readonly ops: CloudOpsPort,
    private readonly clock: Clock = systemClock,
  ) {}

  async readCapacity(namespace: string): Promise<NamespaceCapacityView> {
    const [ns, info] = await Promise.all([this.ops.getNamespace(namespace), this.ops.getCapacityInfo(namespace)]);
    return viewFrom(namespace, ns, info);
  }

  /** One GetNamespace: enough to tell drift, at a third of a full capacity read's cost. */
  async readNamespace(namespace: string): Promise<DriftRead> {
    return driftReadOf(await this.ops.getNamespace(namespace));
  }

  async readTruOptions(namespace: string): Promise<TruOptions> {
    return truOptionsFrom(await this.ops.getCapacityInfo(namespace));
  }

  checkTrus(options: TruOptions, trus: number): TruCheck {
    return checkTrus(options, trus);
  }

  async identity(): Promise<IdentityMsg> {
    return this.ops.getCurrentIdentity();
  }

  /**
   * Sets the namespace's capacity: read it, change only capacitySpec, send the whole spec back with the
   * resourceVersion read. Returns the operation id, or null when there was nothing to change. With `expected`, a
   * namespace that shows something else (someone changed it) is not changed: DriftError, from the same read.
   */
  async setCapacity(
    namespace: string,
    target: CapacityTarget,
    asyncOperationId: string,
    expected?: CapacityTarget,
  ): Promise<string | null> {
    let realigned = false;
    for (let attempt = 1; ; attempt++) {
      const ns = await this.ops.getNamespace(namespace);
      // A retry after a lost response: the operation is already there, do not change anything twice.
      if (ns.capacity?.latestRequest?.asyncOperationId === asyncOperationId) return asyncOperationId;
      const found = expected === undefined ? null : driftedTo(expected, driftReadOf(ns));
      if (found !== null) throw new DriftError(driftReadOf(ns), found, expected as CapacityTarget);
      if (!realigned && this.specStuckAt(ns, target)) {
        realigned = true;
        await this.realign(namespace, ns, `${asyncOperationId}-realign`);
        continue;
      }
      try {
        const op = await this.ops.updateNamespace({
          namespace,
          spec: { ...ns.spec, capacitySpec: specFor(target) },
          ...(ns.specWire ? { specWire: ns.specWire } : {}),
          resourceVersion: ns.resourceVersion ?? '',
          asyncOperationId,
        });
        return op.id || asyncOperationId;
      } catch (err) {
        if (err instanceof CloudOpsError && err.kind === 'NOTHING_TO_CHANGE') return null;
        if (attempt < STALE_VERSION_RETRIES && err instanceof CloudOpsError) {
          // ABORTED is gRPC's "concurrency conflict, retry from the read".
          if (err.kind === 'ABORTED') continue;
          // The code for a stale resourceVersion is not documented: a changed version on re-read is the proof.
          if (err.kind === 'FAILED_PRECONDITION') {
            const now = await this.ops.getNamespace(namespace);
            if (now.resourceVersion !== ns.resourceVersion) continue;
          }
        }
        throw err;
      }
    }
  }

  /**
   * The spec already asks for the target but the namespace has something else, and nothing is under way: a failed
   * request left its value in the spec, so sending the target again would be "nothing to change" forever.
   */
  private specStuckAt(ns: NamespaceMsg, target: CapacityTarget): boolean {
    const requested = requestedTarget(ns);
    const observed = observedFrom('', ns);
    return (
      requested !== null &&
      sameTarget(requested, target) &&
      !sameTarget(observed.current, target) &&
      observed.latestRequest?.state !== 'IN_PROGRESS'
    );
  }

  /**
   * Puts the spec back to what the namespace has (no capacity changes, nothing is billed differently) and waits for
   * that operation, so that the target can be sent as a real change.
   */
  private async realign(namespace: string, ns: NamespaceMsg, realignId: string): Promise<void> {
    const current = currentTarget(ns.capacity);
    const op = await this.ops.updateNamespace({
      namespace,
      spec: { ...ns.spec, capacitySpec: specFor(current) },
      ...(ns.specWire ? { specWire: ns.specWire } : {}),
      resourceVersion: ns.resourceVersion ?? '',
      asyncOperationId: realignId,
    });
    const what = `the spec asked for a value that never took effect; putting it back to ${describeTarget(current)}`;
    let done: AsyncOperationMsg;
    try {
      done = await this.awaitOperation(op.id || realignId, { deadline: this.clock.now() + REALIGN_WAIT_MS });
    } catch (err) {
      // Still running: the next attempt finds it in progress and waits; only a real refusal stops the apply.
      if (err instanceof CapacityRuleError) throw new CloudOpsError('OTHER', `${what}: ${err.message}`, null);
      throw err;
    }
    if (Number(done.state) !== OP_STATE.FULFILLED) {
      const reason = done.failureReason ? `: ${done.failureReason}` : '';
      throw new CloudOpsError(
        'OTHER',
        `${what} ended ${OP_STATE_NAME[Number(done.state)] ?? 'UNKNOWN'}${reason}`,
        null,
      );
    }
  }

  /**
   * Polls the operation until it is terminal, no faster than its checkDuration asks: a look the API would not want
   * before the deadline is not taken, and the deadline passes with the last look's state once that wait is over.
   */
  async awaitOperation(asyncOperationId: string, opts: PollOptions): Promise<AsyncOperationMsg> {
    for (;;) {
      const op = await this.retryingRead(() => this.ops.getAsyncOperation(asyncOperationId), opts);
      opts.onPoll?.(`operation ${OP_STATE_NAME[Number(op.state)] ?? 'UNKNOWN'}`);
      if (TERMINAL_OP_STATES.has(Number(op.state))) return op;
      const wait = paceMs(durationMs(op.checkDuration));
      if (this.clock.now() + wait > opts.deadline) {
        // Waited out all the same, so that whoever looks next (a retry, the controller's next check) keeps the pace.
        await this.clock.sleep(wait);
        throw new CapacityRuleError(
          FailureType.VerificationTimeout,
          `operation ${asyncOperationId} still ${OP_STATE_NAME[Number(op.state)] ?? 'unknown'} at the verification deadline`,
        );
      }
      await this.clock.sleep(wait);
    }
  }

  /**
   * Verifies a change: the operation fulfilled, then the namespace's latest request COMPLETED with our
   * operation id and its observed mode equal to the target. Polls until the deadline; never a fixed sleep.
   * `changedAt`: when the namespace took the target, the operation's finish time (without an operation, or when
   * the API gives none, when it was seen).
   */
  async verify(
    namespace: string,
    target: CapacityTarget,
    asyncOperationId: string | null,
    opts: PollOptions,
  ): Promise<ObservedCapacity & { changedAt: string }> {
    let wait = DEFAULT_CHECK_MS;
    let finishedAt: string | null = null;
    if (asyncOperationId !== null) {
      const op = await this.awaitOperation(asyncOperationId, opts);
      wait = paceMs(durationMs(op.checkDuration));
      finishedAt = timestamp(op.finishedTime);
      if (Number(op.state) !== OP_STATE.FULFILLED) {
        const reason = op.failureReason ? `: ${op.failureReason}` : '';
        throw new CapacityRuleError(
          FailureType.OperationUnsuccessful,
          `operation ${asyncOperationId} ended ${OP_STATE_NAME[Number(op.state)] ?? 'UNKNOWN'}${reason}`,
        );
      }
    }
    for (;;) {
      const observed = observedFrom(namespace, await this.retryingRead(() => this.ops.getNamespace(namespace), opts));
      const mismatch = this.mismatch(observed, target, asyncOperationId);
      opts.onPoll?.(mismatch ?? 'verified');
      if (mismatch === null) return { ...observed, changedAt: finishedAt ?? new Date(this.clock.now()).toISOString() };
      if (this.clock.now() + wait > opts.deadline) {
        throw new CapacityRuleError(FailureType.VerificationTimeout, `not verified before the deadline: ${mismatch}`);
      }
      await this.clock.sleep(wait);
    }
  }

  private mismatch(observed: ObservedCapacity, target: CapacityTarget, asyncOperationId: string | null): string | null {
    const req = observed.latestRequest;
    if (req?.state === 'IN_PROGRESS') return 'a capacity request is still in progress';
    // The API documents the request's operation id only as "if any": checked when it names one, never required.
    if (asyncOperationId !== null && req?.asyncOperationId === asyncOperationId && req.state !== 'COMPLETED') {
      return `latest request is ${req.state}`;
    }
    if (!sameTarget(observed.current, target)) {
      return `namespace has ${describeTarget(observed.current)}, expected ${describeTarget(target)}`;
    }
    return null;
  }

  /** Transient read failures during verification are retried until the deadline, not surfaced at once. */
  private async retryingRead<T>(read: () => Promise<T>, opts: PollOptions): Promise<T> {
    for (;;) {
      try {
        return await read();
      } catch (err) {
        if (!(err instanceof CloudOpsError) || !err.retryable || this.clock.now() + READ_RETRY_MS > opts.deadline)
          throw err;
        opts.onPoll?.(`read failed, retrying: ${err.message}`);
        await this.clock.sleep(READ_RETRY_MS);
      }
    }
  }
}

/** Actions per second one TRU carries, for the recommendation rule. */
export const APS_PER_TRU = 500;

export interface TruRecommendation {
  /** The TRU value to book; null without APS statistics, or when no valid value is available at all. */
  trus: number | null;
  basis: { apsP99: number | null; apsPerTru: typeof APS_PER_TRU; rawTrus: number | null };
  /** The limit that lowered the recommendation (the most available now, or the largest valid value); null when none did. */
  cappedAt: number | null;
}

/**
 * The recommendation rule: p99 APS / 500 per TRU, rounded up to the next valid TRU value, capped by the most
 * available now (then the largest valid value under the cap). Idle (p99 0) recommends the smallest valid value.
 */
export function recommendTrus(
  view: Pick<NamespaceCapacityView, 'apsStats' | 'validTruValues' | 'maxAvailableTruValue'>,
): TruRecommendation {
  const p99 = view.apsStats?.p99;
  if (p99 === undefined || !Number.isFinite(p99) || p99 < 0) {
    return { trus: null, basis: { apsP99: null, apsPerTru: APS_PER_TRU, rawTrus: null }, cappedAt: null };
  }
  const basis = { apsP99: p99, apsPerTru: APS_PER_TRU, rawTrus: p99 / APS_PER_TRU } as const;
  const valid = [...view.validTruValues].filter((v) => Number.isInteger(v) && v > 0).sort((a, b) => a - b);
  if (valid.length === 0) return { trus: null, basis, cappedAt: null };
  // Compared in APS, not in fractional TRUs: 1000 APS needs exactly 2, never 2.0000000001.
  const needed = valid.find((v) => v * APS_PER_TRU >= p99);
  const largest = valid[valid.length - 1] as number;
  const wanted = needed ?? largest;
  const max = view.maxAvailableTruValue;
  if (max !== null && wanted > max) {
    const available = valid.filter((v) => v <= max);
    return { trus: available.length > 0 ? (available[available.length - 1] as number) : null, basis, cappedAt: max };
  }
  return { trus: wanted, basis, cappedAt: needed === undefined ? largest : null };
}

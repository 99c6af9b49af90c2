// The emulator's model of Temporal Cloud: namespaces, async operations and injected faults.
// Transitions are computed from the clock on every read (no timers), so nothing keeps the process alive
// and a test can drive time with its own clock.
import { randomUUID } from 'node:crypto';
import { PROBE_FIELD, TO_OBJECT, emulatorSchema } from './schema.js';
import {
  AccountLimits,
  DEFAULT_ACCOUNT_LIMITS,
  accountOf,
  type AccountLimitOptions,
  type AccountStats,
} from './limits.js';

export const VALID_TRU_VALUES = [2, 3, 4, 6, 8, 10, 12] as const;
const DEFAULT_MAX_TRU = 12;
const APS_PER_TRU = 500;
const ON_DEMAND_APS_LIMIT = 500;
const DEFAULT_CHECK_DURATION_MS = 250;
const MAX_PENDING_MS = 100;
const CALL_LOG_LIMIT = 1000;

export const IMPLEMENTED_RPCS = [
  'GetNamespace',
  'UpdateNamespace',
  'GetAsyncOperation',
  'GetNamespaceCapacityInfo',
  'GetCurrentIdentity',
] as const;
export type ImplementedRpc = (typeof IMPLEMENTED_RPCS)[number];

// Listed here rather than taken from grpc-js: loading grpc-js early would freeze its default TLS roots
// before ensureEmulatorTrust can point GRPC_DEFAULT_SSL_ROOTS_FILE_PATH at the emulator's CA.
export const GRPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type GrpcCodeName = (typeof GRPC_CODE_NAMES)[number];

/** Numeric values of the proto enums, as the wire and the control plane carry them. */
export const OperationState = {
  PENDING: 1,
  IN_PROGRESS: 2,
  FAILED: 3,
  CANCELLED: 4,
  FULFILLED: 5,
  REJECTED: 6,
} as const;
export const CapacityRequestState = { COMPLETED: 1, IN_PROGRESS: 2, FAILED: 3 } as const;
export const ResourceState = { ACTIVE: 3, UPDATING: 4 } as const;

/** An error the gRPC layer turns into a status with this code. */
export class EmulatorError extends Error {
  constructor(
    readonly code: GrpcCodeName,
    message: string,
  ) {
    super(message);
    this.name = 'EmulatorError';
  }
}

/** A fault object is malformed (the control plane answers 400). */
export class FaultShapeError extends Error {}

export type Fault =
  | { rpc: ImplementedRpc; code: GrpcCodeName; count: number; message?: string }
  | { nextOperationOutcome: 'FAILED' | 'REJECTED'; count: number }
  | { capacityNotApplied: true; count: number }
  | { cooldownSeconds: number }
  | { applyDelayMs: number }
  | { maxAvailableTruValue: number }
  | { concurrentSpecChange: true; count: number };

/** A NamespaceSpec as a plain proto object (camelCase, defaults omitted). */
export type Spec = Record<string, unknown>;
export type CapacitySpec = { onDemand: Record<string, never> } | { provisioned: { value: number } };
export type CapacityMode = { onDemand: Record<string, never> } | { provisioned: { currentValue: number } };

export interface CapacityRequest {
  state: number;
  startTime: Date;
  endTime?: Date;
  asyncOperationId: string;
  spec: CapacitySpec;
}
export type Capacity = CapacityMode & { latestRequest?: CapacityRequest };

export interface OperationView {
  id: string;
  state: number;
  checkDuration: { seconds: number; nanos: number };
  operationType: string;
  failureReason?: string;
  startedTime: Date;
  finishedTime?: Date;
}

export interface NamespaceView {
  namespace: string;
  resourceVersion: string;
  spec: Spec;
  state: number;
  asyncOperationId?: string;
  activeRegion: string;
  capacity: Capacity;
  limits: { actionsPerSecondLimit: number };
  createdTime: Date;
  lastModifiedTime: Date;
}

export interface CapacityInfoView {
  namespace: string;
  hasLegacyLimits: false;
  currentCapacity: Capacity;
  modeOptions: {
    provisioned: { validTruValues: number[]; maxAvailableTruValue: number };
    onDemand: { apsLimit: number };
  };
  stats: { aps: { mean: number; p90: number; p99: number } };
}

export interface UpdateRecord {
  spec: Spec;
  resourceVersion: string;
  asyncOperationId: string;
  at: Date;
  /** The update sent back the spec field the client's schema does not know (PROBE_FIELD). */
  unknownFieldsKept: boolean;
  /** GetAsyncOperation calls for this update's operation, and those that came sooner than its checkDuration asked. */
  operationPolls: number;
  earlyPolls: number;
  /** Made by a person's tool through the control plane (manual-change), not by the service. */
  manual?: true;
}

/** The namespace's capacity from `at` on: TRUs, 0 for On-Demand. */
export interface CapacityStep {
  at: string;
  trus: number;
}

export interface NamespaceSnapshot {
  namespace: string;
  spec: Spec;
  capacity: Capacity;
  resourceVersion: string;
  state: number;
  updates: UpdateRecord[];
  /** Every capacity the namespace had, from its creation; a step at each operation's finish that changed it. */
  capacityHistory: CapacityStep[];
}

export interface CallRecord {
  method: string;
  apiVersion: string | null;
  at: Date;
}

export interface UpdateRequest {
  namespace: string;
  spec?: Spec;
  resourceVersion?: string;
  asyncOperationId?: string;
}

type Outcome = 'FULFILLED' | 'FAILED' | 'REJECTED';

interface Operation {
  id: string;
  namespace: string;
  startedAt: number;
  inProgressAt: number;
  finishAt: number;
  outcome: Outcome;
  failureReason?: string;
  /** Set only when the update changed the capacity mode. */
  capacityChange?: { requested: CapacitySpec; previous?: CapacitySpec; applies: boolean };
  settled: boolean;
  /** The update's record in its namespace's snapshot, where polls are counted. */
  record: UpdateRecord;
  lastPollAt: number | null;
}

interface NamespaceRecord {
  id: string;
  spec: Spec;
  version: number;
  mode: CapacityMode;
  latestRequest?: CapacityRequest;
  lastOperationId?: string;
  lastCapacityFinishAt?: number;
  createdAt: number;
  modifiedAt: number;
  operations: Operation[];
  updates: UpdateRecord[];
  capacityHistory: CapacityStep[];
}

interface Faults {
  rpc: Map<ImplementedRpc, { code: GrpcCodeName; remaining: number; message?: string }>;
  outcomes: { outcome: 'FAILED' | 'REJECTED'; remaining: number } | null;
  notApplied: number;
  cooldownMs: number;
  applyDelayMs: number;
  maxTru: number;
  concurrentChanges: number;
}

/** What a failed capacity request leaves in the spec (not documented for the real API): the failed value, or the old one. */
export type FailedSpec = 'keep' | 'restore';

export interface EmulatorStateOptions {
  namespaces: string[];
  applyDelayMs: number;
  /** The checkDuration every operation answers (default 250 ms; the real API answers about 10 s). */
  checkDurationMs?: number;
  /** Default 'restore'. */
  failedSpec?: FailedSpec;
  now?: () => number;
  /** The account limits (default: the real API's, 10 operations and 80 requests per second). */
  limits?: AccountLimitOptions;
  /** Least time between two capacity changes of one namespace (the hourly rule; default 0). */
  cooldownMs?: number;
}

export class EmulatorState {
  readonly callLog: CallRecord[] = [];
  /** Every call received, unlike callLog which keeps only the last ones. */
  callCount = 0;
  private readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly operations = new Map<string, Operation>();
  private faults: Faults;
  private readonly now: () => number;
  private readonly limits: AccountLimits;

  constructor(private readonly options: EmulatorStateOptions) {
    this.now = options.now ?? Date.now;
    this.limits = new AccountLimits(options.limits ?? DEFAULT_ACCOUNT_LIMITS, this.now);
    this.faults = this.normalFaults();
    for (const id of options.namespaces) this.addNamespace(id);
  }

  addNamespace(id: string): void {
    if (this.namespaces.has(id)) throw new EmulatorError('ALREADY_EXISTS', `namespace ${id} already exists`);
    const now = this.now();
    this.namespaces.set(id, {
      id,
      spec: seedSpec(id),
      version: 1,
      mode: { onDemand: {} },
      createdAt: now,
      modifiedAt: now,
      operations: [],
      updates: [],
      capacityHistory: [{ at: new Date(now).toISOString(), trus: 0 }],
    });
  }

  listNamespaces(): string[] {
    return [...this.namespaces.keys()];
  }

  recordCall(method: string, apiVersion: string | null): void {
    this.callCount++;
    this.callLog.push({ method, apiVersion, at: new Date(this.now()) });
    if (this.callLog.length > CALL_LOG_LIMIT) this.callLog.shift();
  }

  /** Counts a request against its account's requests per second; throws RESOURCE_EXHAUSTED past the limit. */
  admitRequest(request: { namespace?: unknown; asyncOperationId?: unknown }): void {
    const namespace =
      typeof request.namespace === 'string' && request.namespace
        ? request.namespace
        : this.operations.get(String(request.asyncOperationId ?? ''))?.namespace;
    if (namespace === undefined) return;
    const refusal = this.limits.admitRequest(accountOf(namespace));
    if (refusal) throw new EmulatorError('RESOURCE_EXHAUSTED', refusal);
  }

  /** Per account: the most operations seen in flight at once, the requests answered, those refused for limits. */
  stats(): Record<string, AccountStats> {
    return this.limits.snapshot();
  }

  getNamespace(id: string): NamespaceView {
    const ns = this.settled(id);
    return {
      namespace: ns.id,
      resourceVersion: resourceVersion(ns),
      spec: structuredClone(ns.spec),
      state: this.isRunning(ns) ? ResourceState.UPDATING : ResourceState.ACTIVE,
      ...(ns.lastOperationId ? { asyncOperationId: ns.lastOperationId } : {}),
      activeRegion: firstRegion(ns.spec),
      capacity: capacityOf(ns),
      limits: { actionsPerSecondLimit: apsLimit(ns.mode) },
      createdTime: new Date(ns.createdAt),
      lastModifiedTime: new Date(ns.modifiedAt),
    };
  }

  getCapacityInfo(id: string): CapacityInfoView {
    const ns = this.settled(id);
    return {
      namespace: ns.id,
      hasLegacyLimits: false,
      currentCapacity: capacityOf(ns),
      modeOptions: {
        provisioned: { validTruValues: [...VALID_TRU_VALUES], maxAvailableTruValue: this.faults.maxTru },
        onDemand: { apsLimit: ON_DEMAND_APS_LIMIT },
      },
      stats: { aps: { mean: 120, p90: 310, p99: 480 } },
    };
  }

  getAsyncOperation(id: string): OperationView {
    const op = this.operations.get(id);
    if (!op) throw new EmulatorError('NOT_FOUND', `async operation ${id} not found`);
    return this.viewOperation(op);
  }

  /** GetAsyncOperation as a client calls it: counted on its update's record, with the polls that came too soon. */
  pollAsyncOperation(id: string): OperationView {
    const op = this.operations.get(id);
    if (!op) throw new EmulatorError('NOT_FOUND', `async operation ${id} not found`);
    const now = this.now();
    op.record.operationPolls += 1;
    if (op.lastPollAt !== null && now - op.lastPollAt < this.checkDurationMs) op.record.earlyPolls += 1;
    op.lastPollAt = now;
    return this.viewOperation(op);
  }

  updateNamespace(req: UpdateRequest): OperationView {
    const ns = this.settled(req.namespace);
    const retried = this.retriedOperation(ns, req.asyncOperationId);
    if (retried) return this.viewOperation(retried);
    if (this.faults.concurrentChanges > 0) {
      // Someone else changed the namespace between the caller's read and this update.
      this.faults.concurrentChanges--;
      ns.version++;
    }
    if (req.resourceVersion !== resourceVersion(ns)) {
      throw new EmulatorError(
        'FAILED_PRECONDITION',
        `resource_version mismatch: given "${req.resourceVersion ?? ''}", current "${resourceVersion(ns)}"`,
      );
    }
    const spec = normalizeSpec(req.spec ?? {});
    if (canonical(spec) === canonical(ns.spec)) throw new EmulatorError('INVALID_ARGUMENT', 'nothing to change');
    const requested = capacitySpecOf(spec);
    const capacityChanged = requested !== undefined && canonical(requested) !== canonical(capacitySpecOf(ns.spec));
    if (capacityChanged) this.checkCapacityChange(ns, requested);
    const account = accountOf(ns.id);
    const refusal = this.limits.admitOperation(account, this.inFlight(account));
    if (refusal) throw new EmulatorError('RESOURCE_EXHAUSTED', refusal);
    const op = this.accept(ns, spec, req.asyncOperationId || randomUUID(), capacityChanged ? requested : undefined);
    this.limits.sawInFlight(account, this.inFlight(account));
    return this.viewOperation(op);
  }

  /**
   * A change made the way a person's tool (the Cloud UI, tcld, Terraform) makes it: GetNamespace, then UpdateNamespace
   * with the spec read, only capacity_spec replaced, and its resourceVersion; its own operation, under the account's
   * limits like any other. Its update record says `manual: true`.
   */
  manualChange(namespace: string, capacitySpec: CapacitySpec): OperationView {
    this.admitRequest({ namespace });
    const read = this.getNamespace(namespace);
    this.admitRequest({ namespace });
    const op = this.updateNamespace({
      namespace,
      spec: { ...read.spec, capacitySpec },
      resourceVersion: read.resourceVersion,
      asyncOperationId: `manual-${randomUUID()}`,
    });
    (this.operations.get(op.id) as Operation).record.manual = true;
    return op;
  }

  /** Returns the fault the next call of this RPC must fail with, consuming it. */
  takeRpcFault(rpc: string): { code: GrpcCodeName; message: string } | null {
    const fault = this.faults.rpc.get(rpc as ImplementedRpc);
    if (!fault) return null;
    if (--fault.remaining <= 0) this.faults.rpc.delete(rpc as ImplementedRpc);
    return { code: fault.code, message: fault.message ?? 'injected fault' };
  }

  injectFault(input: unknown): void {
    const fault = parseFault(input);
    if ('rpc' in fault)
      this.faults.rpc.set(fault.rpc, { code: fault.code, remaining: fault.count, message: fault.message });
    else if ('nextOperationOutcome' in fault)
      this.faults.outcomes = { outcome: fault.nextOperationOutcome, remaining: fault.count };
    else if ('capacityNotApplied' in fault) this.faults.notApplied = fault.count;
    else if ('cooldownSeconds' in fault) this.faults.cooldownMs = fault.cooldownSeconds * 1000;
    else if ('applyDelayMs' in fault) this.faults.applyDelayMs = fault.applyDelayMs;
    else if ('concurrentSpecChange' in fault) this.faults.concurrentChanges = fault.count;
    else this.faults.maxTru = fault.maxAvailableTruValue;
  }

  clearFaults(): void {
    this.faults = this.normalFaults();
  }

  snapshot(id: string): NamespaceSnapshot {
    const view = this.getNamespace(id);
    const ns = this.record(id);
    return {
      namespace: id,
      spec: view.spec,
      capacity: view.capacity,
      resourceVersion: view.resourceVersion,
      state: view.state,
      updates: structuredClone(ns.updates),
      capacityHistory: structuredClone(ns.capacityHistory),
    };
  }

  private normalFaults(): Faults {
    return {
      rpc: new Map(),
      outcomes: null,
      notApplied: 0,
      cooldownMs: this.options.cooldownMs ?? 0,
      applyDelayMs: this.options.applyDelayMs,
      maxTru: DEFAULT_MAX_TRU,
      concurrentChanges: 0,
    };
  }

  private record(id: string): NamespaceRecord {
    const ns = this.namespaces.get(id);
    if (!ns) throw new EmulatorError('NOT_FOUND', `namespace ${id} not found`);
    return ns;
  }

  /** The namespace with every operation that finished by now applied to it. */
  private settled(id: string): NamespaceRecord {
    const ns = this.record(id);
    const now = this.now();
    for (const op of ns.operations) {
      if (!op.settled && op.finishAt <= now) this.settle(ns, op);
    }
    return ns;
  }

  private settle(ns: NamespaceRecord, op: Operation): void {
    op.settled = true;
    const change = op.capacityChange;
    if (!change) return;
    const fulfilled = op.outcome === 'FULFILLED';
    ns.latestRequest = {
      ...ns.latestRequest!,
      state: fulfilled ? CapacityRequestState.COMPLETED : CapacityRequestState.FAILED,
      endTime: new Date(op.finishAt),
    };
    ns.lastCapacityFinishAt = op.finishAt;
    if (fulfilled && change.applies) {
      ns.mode = modeOf(change.requested);
      const trus = 'provisioned' in ns.mode ? ns.mode.provisioned.currentValue : 0;
      ns.capacityHistory.push({ at: new Date(op.finishAt).toISOString(), trus });
    }
    if (!fulfilled && this.options.failedSpec !== 'keep') this.revertCapacitySpec(ns, change.previous, op.finishAt);
  }

  private get checkDurationMs(): number {
    return this.options.checkDurationMs ?? DEFAULT_CHECK_DURATION_MS;
  }

  // With failedSpec 'restore', a failed request leaves the spec asking for the mode still in effect; with 'keep',
  // the spec keeps asking for the failed value, and sending that value again is "nothing to change".
  private revertCapacitySpec(ns: NamespaceRecord, previous: CapacitySpec | undefined, at: number): void {
    const { capacitySpec: _dropped, ...rest } = ns.spec;
    ns.spec = previous ? { ...rest, capacitySpec: previous } : rest;
    ns.version += 1;
    ns.modifiedAt = at;
  }

  /** Async operations of the account not finished by now. */
  private inFlight(account: string): number {
    let count = 0;
    for (const id of this.namespaces.keys()) {
      if (accountOf(id) === account) count += this.settled(id).operations.filter((op) => !op.settled).length;
    }
    return count;
  }

  private isRunning(ns: NamespaceRecord): boolean {
    return ns.operations.some((op) => !op.settled);
  }

  private retriedOperation(ns: NamespaceRecord, id: string | undefined): Operation | undefined {
    if (!id) return undefined;
    const op = this.operations.get(id);
    if (op && op.namespace !== ns.id) {
      throw new EmulatorError('ALREADY_EXISTS', `async operation id ${id} is already used by another namespace`);
    }
    return op;
  }

  private checkCapacityChange(ns: NamespaceRecord, requested: CapacitySpec): void {
    if ('provisioned' in requested) this.checkTruValue(requested.provisioned.value);
    if (ns.latestRequest?.state === CapacityRequestState.IN_PROGRESS) {
      throw new EmulatorError('FAILED_PRECONDITION', 'capacity request in progress');
    }
    const cooldownEnd = (ns.lastCapacityFinishAt ?? -Infinity) + this.faults.cooldownMs;
    const remainingMs = cooldownEnd - this.now();
    if (remainingMs > 0) {
      // The real API's wording and code for its hourly rule are not documented; this one names the wait.
      throw new EmulatorError(
        'FAILED_PRECONDITION',
        `capacity cool-down: TRUs can be adjusted hourly; the next change of this namespace is allowed in ${Math.ceil(remainingMs / 1000)} s (at ${new Date(cooldownEnd).toISOString()})`,
      );
    }
  }

  private checkTruValue(value: number): void {
    const valid = (VALID_TRU_VALUES as readonly number[]).includes(value);
    if (valid && value <= this.faults.maxTru) return;
    throw new EmulatorError(
      'INVALID_ARGUMENT',
      `invalid TRU value ${value}: valid values are ${VALID_TRU_VALUES.join(', ')} (max available ${this.faults.maxTru})`,
    );
  }

  private accept(ns: NamespaceRecord, spec: Spec, id: string, requested: CapacitySpec | undefined): Operation {
    const now = this.now();
    const delay = this.faults.applyDelayMs;
    const record: UpdateRecord = {
      spec: structuredClone(spec),
      resourceVersion: '',
      asyncOperationId: id,
      at: new Date(now),
      unknownFieldsKept: spec[PROBE_FIELD.name] === PROBE_FIELD.value,
      operationPolls: 0,
      earlyPolls: 0,
    };
    const op: Operation = {
      id,
      namespace: ns.id,
      startedAt: now,
      inProgressAt: now + Math.min(MAX_PENDING_MS, delay / 4),
      finishAt: now + delay,
      settled: false,
      record,
      lastPollAt: null,
      ...this.takeOutcome(),
    };
    if (requested) {
      op.capacityChange = { requested, previous: capacitySpecOf(ns.spec), applies: this.takeCapacityApplies() };
      ns.latestRequest = {
        state: CapacityRequestState.IN_PROGRESS,
        startTime: new Date(now),
        asyncOperationId: id,
        spec: requested,
      };
    }
    ns.spec = spec;
    ns.version += 1;
    ns.modifiedAt = now;
    ns.lastOperationId = id;
    ns.operations.push(op);
    record.resourceVersion = resourceVersion(ns);
    ns.updates.push(record);
    this.operations.set(id, op);
    // An operation with no delay finishes at once; settling now keeps reads consistent with that.
    this.settled(ns.id);
    return op;
  }

  private takeOutcome(): { outcome: Outcome; failureReason?: string } {
    const pending = this.faults.outcomes;
    if (!pending) return { outcome: 'FULFILLED' };
    if (--pending.remaining <= 0) this.faults.outcomes = null;
    return { outcome: pending.outcome, failureReason: `injected ${pending.outcome.toLowerCase()} outcome` };
  }

  private takeCapacityApplies(): boolean {
    if (this.faults.notApplied <= 0) return true;
    this.faults.notApplied -= 1;
    return false;
  }

  private viewOperation(op: Operation): OperationView {
    const now = this.now();
    const finished = now >= op.finishAt;
    return {
      id: op.id,
      state: finished
        ? OperationState[op.outcome]
        : now >= op.inProgressAt
          ? OperationState.IN_PROGRESS
          : OperationState.PENDING,
      checkDuration: {
        seconds: Math.floor(this.checkDurationMs / 1000),
        nanos: (this.checkDurationMs % 1000) * 1_000_000,
      },
      operationType: 'UpdateNamespace',
      ...(finished && op.failureReason ? { failureReason: op.failureReason } : {}),
      startedTime: new Date(op.startedAt),
      ...(finished ? { finishedTime: new Date(op.finishAt) } : {}),
    };
  }
}

function seedSpec(id: string): Spec {
  return normalizeSpec({
    name: id.split('.')[0],
    regions: ['aws-us-east-1'],
    retentionDays: 30,
    apiKeyAuth: { enabled: true },
    codecServer: { endpoint: 'https://codec.example.com', passAccessToken: true },
    lifecycle: { enableDeleteProtection: true },
    capacitySpec: { onDemand: {} },
    [PROBE_FIELD.name]: PROBE_FIELD.value,
  });
}

/** Round-trips through the proto type so that seeded and received specs compare field for field. */
export function normalizeSpec(spec: Spec): Spec {
  const { namespaceSpec } = emulatorSchema();
  return namespaceSpec.toObject(namespaceSpec.fromObject(spec), TO_OBJECT) as Spec;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function capacitySpecOf(spec: Spec): CapacitySpec | undefined {
  const cs = spec.capacitySpec as { onDemand?: object; provisioned?: { value?: number } } | undefined;
  if (cs?.provisioned) return { provisioned: { value: cs.provisioned.value ?? 0 } };
  if (cs?.onDemand) return { onDemand: {} };
  return undefined;
}

function modeOf(spec: CapacitySpec): CapacityMode {
  return 'provisioned' in spec ? { provisioned: { currentValue: spec.provisioned.value } } : { onDemand: {} };
}

function capacityOf(ns: NamespaceRecord): Capacity {
  const mode = structuredClone(ns.mode);
  return ns.latestRequest ? { ...mode, latestRequest: structuredClone(ns.latestRequest) } : mode;
}

function apsLimit(mode: CapacityMode): number {
  return 'provisioned' in mode ? mode.provisioned.currentValue * APS_PER_TRU : ON_DEMAND_APS_LIMIT;
}

function resourceVersion(ns: NamespaceRecord): string {
  return `${ns.id}@${ns.version}`;
}

function firstRegion(spec: Spec): string {
  return (spec.regions as string[] | undefined)?.[0] ?? '';
}

export function parseFault(input: unknown): Fault {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new FaultShapeError('a fault must be a JSON object');
  const f = input as Record<string, unknown>;
  const keys = Object.keys(f).sort().join(',');
  switch (keys) {
    case 'code,count,rpc':
    case 'code,count,message,rpc':
      if (f.message !== undefined && typeof f.message !== 'string')
        throw new FaultShapeError('message must be a string');
      return {
        rpc: oneOf(f.rpc, IMPLEMENTED_RPCS, 'rpc'),
        code: oneOf(f.code, GRPC_CODE_NAMES, 'code'),
        count: positive(f.count, 'count'),
        ...(f.message === undefined ? {} : { message: f.message }),
      };
    case 'count,nextOperationOutcome':
      return {
        nextOperationOutcome: oneOf(f.nextOperationOutcome, ['FAILED', 'REJECTED'] as const, 'nextOperationOutcome'),
        count: positive(f.count, 'count'),
      };
    case 'capacityNotApplied,count':
      if (f.capacityNotApplied !== true) throw new FaultShapeError('capacityNotApplied must be true');
      return { capacityNotApplied: true, count: positive(f.count, 'count') };
    case 'cooldownSeconds':
      return { cooldownSeconds: nonNegative(f.cooldownSeconds, 'cooldownSeconds') };
    case 'applyDelayMs':
      return { applyDelayMs: nonNegative(f.applyDelayMs, 'applyDelayMs') };
    case 'concurrentSpecChange,count':
      if (f.concurrentSpecChange !== true) throw new FaultShapeError('concurrentSpecChange must be true');
      return { concurrentSpecChange: true, count: positive(f.count, 'count') };
    case 'maxAvailableTruValue':
      return { maxAvailableTruValue: nonNegative(f.maxAvailableTruValue, 'maxAvailableTruValue') };
    default:
      throw new FaultShapeError(`unknown fault shape with keys [${keys}]`);
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new FaultShapeError(`${name} must be one of ${allowed.join(', ')}`);
}

function positive(value: unknown, name: string): number {
  if (Number.isInteger(value) && (value as number) > 0) return value as number;
  throw new FaultShapeError(`${name} must be a positive integer`);
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new FaultShapeError(`${name} must be a non-negative number`);
}

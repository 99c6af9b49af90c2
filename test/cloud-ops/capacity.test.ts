// The capacity rules without a server: how Cloud Ops messages are read, the TRU value rule, and how a change is
// made and verified, through an in-memory fake of the Cloud Ops calls and a fake clock (no real waiting).
import t from 'tap';
import {
  CapacityRuleError,
  CapacityService,
  DriftError,
  checkTrus,
  observedFrom,
  requestedTarget,
  specFor,
  viewFrom,
  type Clock,
  type CloudOpsPort,
} from '../../src/cloud-ops/capacity.js';
import type { AsyncOperationMsg, CapacityInfoMsg, IdentityMsg, NamespaceMsg } from '../../src/cloud-ops/client.js';
import { CloudOpsError } from '../../src/cloud-ops/errors.js';
import { ON_DEMAND, provisioned, type CapacityTarget } from '../../src/shared/index.js';

const NS = 'payments.a1b2c';
const OP = { PENDING: 1, IN_PROGRESS: 2, FAILED: 3, CANCELLED: 4, FULFILLED: 5, REJECTED: 6 } as const;
const REQUEST = { COMPLETED: 1, IN_PROGRESS: 2, FAILED: 3 } as const;

type Reply<T> = T | Error;

/** Answers each call from its own script, one reply per call; the last reply repeats. Records every call. */
class FakeCloudOps implements CloudOpsPort {
  readonly calls: Array<{ method: string; arg: unknown }> = [];

  constructor(
    private readonly script: {
      namespace?: Reply<NamespaceMsg>[];
      info?: Reply<CapacityInfoMsg>[];
      update?: Reply<AsyncOperationMsg>[];
      operation?: Reply<AsyncOperationMsg>[];
      identity?: Reply<IdentityMsg>[];
    },
  ) {}

  private reply<T>(method: string, arg: unknown, replies: Reply<T>[] | undefined): Promise<T> {
    this.calls.push({ method, arg });
    // A loop that never ends fails here at once instead of hanging the test.
    if (this.calls.length > 100) throw new Error('runaway: more than 100 Cloud Ops calls');
    if (!replies || replies.length === 0) throw new Error(`unscripted call ${method}`);
    const next = replies.length > 1 ? (replies.shift() as Reply<T>) : (replies[0] as Reply<T>);
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  getNamespace(namespace: string) {
    return this.reply('getNamespace', namespace, this.script.namespace);
  }
  getCapacityInfo(namespace: string) {
    return this.reply('getCapacityInfo', namespace, this.script.info);
  }
  updateNamespace(req: Parameters<CloudOpsPort['updateNamespace']>[0]) {
    return this.reply('updateNamespace', req, this.script.update);
  }
  getAsyncOperation(asyncOperationId: string) {
    return this.reply('getAsyncOperation', asyncOperationId, this.script.operation);
  }
  getCurrentIdentity() {
    return this.reply('getCurrentIdentity', null, this.script.identity);
  }
}

/** Time that moves only when the code under test sleeps; records every wait. */
class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (this.sleeps.length > 100) throw new Error('runaway: more than 100 waits');
    this.t += ms;
  }
}

const nsWith = (currentTrus: number | null, request?: { state: number; id: string }): NamespaceMsg => ({
  capacity: {
    ...(currentTrus === null ? { onDemand: {} } : { provisioned: { currentValue: currentTrus } }),
    ...(request ? { latestRequest: { state: request.state, asyncOperationId: request.id } } : {}),
  },
});
const done = (trus: number | null, id = 'op-1') => nsWith(trus, { state: REQUEST.COMPLETED, id });
const gone = (kind: 'UNAVAILABLE' | 'PERMISSION_DENIED') => new CloudOpsError(kind, `${kind}: test`, null);
const service = (ops: FakeCloudOps, clock: Clock = new FakeClock()) => new CapacityService(ops, clock);

/** Seconds as the decoder may hand them (a number, or a numeric string), where the messages type them as Long. */
const secs = (n: number | string) =>
  n as unknown as NonNullable<NonNullable<AsyncOperationMsg['checkDuration']>['seconds']>;

/** How a promise failed, as [name, type or kind, message], compared exactly (t.rejects matches messages as substrings). */
async function failure(p: Promise<unknown>): Promise<[string, string | undefined, string]> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure, got a result');
    },
    (e: unknown) => e as Error & { type?: string; kind?: string },
  );
  return [err.name, err.type ?? err.kind, err.message];
}

t.test('reading a namespace: current capacity, latest request and its times', async (t) => {
  t.strictSame(observedFrom(NS, {}), { namespace: NS, current: ON_DEMAND, latestRequest: null });
  t.strictSame(observedFrom(NS, nsWith(4)).current, provisioned(4));
  t.strictSame(observedFrom(NS, nsWith(0)).current, ON_DEMAND, 'a provisioned value of 0 is On-Demand');
  t.strictSame(observedFrom(NS, { capacity: { provisioned: {} } }).current, ON_DEMAND);
  const full = observedFrom(NS, {
    capacity: {
      provisioned: { currentValue: 8 },
      latestRequest: {
        state: REQUEST.COMPLETED,
        asyncOperationId: 'op-1',
        startTime: { seconds: secs(1_700_000_000), nanos: 500_999_999 },
        endTime: { seconds: secs('1700000060') },
      },
    },
  });
  t.strictSame(full, {
    namespace: NS,
    current: provisioned(8),
    latestRequest: {
      state: 'COMPLETED',
      asyncOperationId: 'op-1',
      startTime: '2023-11-14T22:13:20.500Z',
      endTime: '2023-11-14T22:14:20.000Z',
    },
  });
  const states = [REQUEST.IN_PROGRESS, REQUEST.FAILED, 0, 9].map(
    (state) => observedFrom(NS, { capacity: { latestRequest: { state } } }).latestRequest,
  );
  t.strictSame(
    states.map((r) => r?.state),
    ['IN_PROGRESS', 'FAILED', 'UNSPECIFIED', 'UNSPECIFIED'],
  );
  const none = { state: 'UNSPECIFIED', asyncOperationId: null, startTime: null, endTime: null };
  t.strictSame(states[0], { ...none, state: 'IN_PROGRESS' }, 'absent id and times are null');
  const blank = observedFrom(NS, {
    capacity: {
      latestRequest: {
        asyncOperationId: '',
        startTime: { seconds: secs(0), nanos: 0 },
        endTime: { seconds: null, nanos: 500_000_000 },
      },
    },
  });
  t.strictSame(blank.latestRequest, none, 'an empty id, the epoch and no seconds mean none');
});

t.test('what the spec asks for, and the spec sent for a target', async (t) => {
  t.strictSame(requestedTarget({ spec: { capacitySpec: { provisioned: { value: 6 } } } }), provisioned(6));
  t.strictSame(requestedTarget({ spec: { capacitySpec: { provisioned: {} } } }), provisioned(0), 'without a value');
  t.strictSame(requestedTarget({ spec: { capacitySpec: { onDemand: {} } } }), ON_DEMAND);
  t.equal(requestedTarget({ spec: { capacitySpec: {} } }), null);
  t.equal(requestedTarget({ spec: {} }), null);
  t.equal(requestedTarget({}), null);
  t.strictSame(specFor(ON_DEMAND), { onDemand: {} });
  t.strictSame(specFor(provisioned(4)), { provisioned: { value: 4 } });
});

t.test('the capacity view: observed state, spec, TRU options sorted, APS statistics, legacy limits', async (t) => {
  const ns: NamespaceMsg = { ...nsWith(4), spec: { capacitySpec: { provisioned: { value: 6 } } } };
  const info: CapacityInfoMsg = {
    modeOptions: { provisioned: { validTruValues: [8, 2, 12, 4], maxAvailableTruValue: 8 } },
    stats: { aps: { mean: 100, p90: 200, p99: 300 } },
    hasLegacyLimits: true,
  };
  t.strictSame(viewFrom(NS, ns, info), {
    namespace: NS,
    current: provisioned(4),
    latestRequest: null,
    requested: provisioned(6),
    validTruValues: [2, 4, 8, 12],
    maxAvailableTruValue: 8,
    apsStats: { mean: 100, p90: 200, p99: 300 },
    hasLegacyLimits: true,
  });
  t.strictSame(viewFrom(NS, {}, {}), {
    namespace: NS,
    current: ON_DEMAND,
    latestRequest: null,
    requested: null,
    validTruValues: [],
    maxAvailableTruValue: null,
    apsStats: null,
    hasLegacyLimits: false,
  });
  const partial = viewFrom(
    NS,
    {},
    {
      stats: { aps: {} },
      modeOptions: { provisioned: { maxAvailableTruValue: 0 } },
      hasLegacyLimits: false,
    },
  );
  t.strictSame(partial.apsStats, { mean: 0, p90: 0, p99: 0 }, 'missing statistics read as 0');
  t.equal(partial.maxAvailableTruValue, null, 'proto3 reads an absent cap as 0: unknown, not "none available"');
  t.equal(partial.hasLegacyLimits, false);
});

t.test('the TRU rule: a listed value, no higher than what is available now', async (t) => {
  const options = { validTruValues: [2, 4, 6, 8], maxAvailableTruValue: 6 };
  const notAllowed = (trus: number) => ({
    ok: false,
    code: 'TRU_VALUE_NOT_ALLOWED',
    message: `${trus} TRUs is not a valid value for this namespace; valid values: 2, 4, 6, 8`,
    validTruValues: [2, 4, 6, 8],
  });
  t.strictSame(checkTrus(options, 4), { ok: true });
  t.strictSame(checkTrus(options, 6), { ok: true }, 'the most available is allowed');
  t.strictSame(
    checkTrus({ ...options, maxAvailableTruValue: null }, 8),
    { ok: true },
    'no cap known: any listed value',
  );
  t.strictSame(checkTrus(options, 5), notAllowed(5));
  t.strictSame(
    checkTrus({ ...options, maxAvailableTruValue: 1 }, 3),
    notAllowed(3),
    'unlisted is unlisted, cap or not',
  );
  t.strictSame(checkTrus(options, 8), {
    ok: false,
    code: 'TRU_VALUE_UNAVAILABLE',
    message: '8 TRUs is above what is available now (6); available values: 2, 4, 6',
    validTruValues: [2, 4, 6],
  });
  t.strictSame(service(new FakeCloudOps({})).checkTrus(options, 8), checkTrus(options, 8), 'the service: same rule');
});

t.test('reads through the service: one GetNamespace and one capacity-info call', async (t) => {
  const ops = new FakeCloudOps({
    namespace: [nsWith(4)],
    info: [{ modeOptions: { provisioned: { validTruValues: [4, 2], maxAvailableTruValue: 4 } } }],
  });
  const view = await service(ops).readCapacity(NS);
  t.strictSame(view.current, provisioned(4));
  t.strictSame(view.validTruValues, [2, 4]);
  t.strictSame(await service(ops).readTruOptions(NS), { validTruValues: [2, 4], maxAvailableTruValue: 4 });
  t.strictSame(ops.calls, [
    { method: 'getNamespace', arg: NS },
    { method: 'getCapacityInfo', arg: NS },
    { method: 'getCapacityInfo', arg: NS },
  ]);
});

t.test('identity: only a successful GetCurrentIdentity counts; every refusal reaches the caller', async (t) => {
  const identity = (reply: Reply<IdentityMsg>) => service(new FakeCloudOps({ identity: [reply] })).identity();
  t.strictSame(await identity({ serviceAccount: { id: 'sa-1' } }), { serviceAccount: { id: 'sa-1' } });
  // NOT_FOUND and INVALID_ARGUMENT used to count as "up" (a bad version header looked healthy).
  for (const kind of ['NOT_FOUND', 'INVALID_ARGUMENT', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'UNAVAILABLE'] as const)
    await t.rejects(identity(new CloudOpsError(kind, `${kind}: test`, null)), { name: 'CloudOpsError', kind }, kind);
});

t.test('setCapacity: changes only capacitySpec, with the version read and our operation id', async (t) => {
  const ns: NamespaceMsg = {
    ...nsWith(null),
    resourceVersion: 'v7',
    spec: { name: NS, retentionDays: 30, capacitySpec: { onDemand: {} } },
  };
  const ops = new FakeCloudOps({ namespace: [ns], update: [{ id: 'op-9' }] });
  t.equal(await service(ops).setCapacity(NS, provisioned(4), 'op-9'), 'op-9');
  t.strictSame(ops.calls, [
    { method: 'getNamespace', arg: NS },
    {
      method: 'updateNamespace',
      arg: {
        namespace: NS,
        spec: { name: NS, retentionDays: 30, capacitySpec: { provisioned: { value: 4 } } },
        resourceVersion: 'v7',
        asyncOperationId: 'op-9',
      },
    },
  ]);

  const bare = new FakeCloudOps({ namespace: [{}], update: [{}] });
  t.equal(await service(bare).setCapacity(NS, ON_DEMAND, 'op-10'), 'op-10', 'an operation without id: ours');
  t.strictSame(bare.calls[1]?.arg, {
    namespace: NS,
    spec: { capacitySpec: { onDemand: {} } },
    resourceVersion: '',
    asyncOperationId: 'op-10',
  });
});

t.test('setCapacity: a retry after a lost response changes nothing twice', async (t) => {
  const ops = new FakeCloudOps({ namespace: [nsWith(4, { state: REQUEST.IN_PROGRESS, id: 'op-3' })] });
  t.equal(await service(ops).setCapacity(NS, provisioned(4), 'op-3'), 'op-3');
  t.equal(ops.count('updateNamespace'), 0);
});

t.test('readNamespace: one GetNamespace, for drift: capacity, spec, a request under way', async (t) => {
  const ns: NamespaceMsg = {
    ...nsWith(4, { state: REQUEST.IN_PROGRESS, id: 'manual-1' }),
    spec: { capacitySpec: { provisioned: { value: 10 } } },
  };
  const ops = new FakeCloudOps({ namespace: [ns, done(10, 'manual-1'), nsWith(null)] });
  const svc = service(ops);
  t.same(await svc.readNamespace(NS), { current: provisioned(4), requested: provisioned(10), inProgress: true });
  t.same(await svc.readNamespace(NS), { current: provisioned(10), requested: null, inProgress: false });
  t.same(await svc.readNamespace(NS), { current: ON_DEMAND, requested: null, inProgress: false });
  t.same(
    ops.calls,
    [1, 2, 3].map(() => ({ method: 'getNamespace', arg: NS })),
    'nothing but GetNamespace',
  );
});

t.test('setCapacity with what was verified: a namespace changed by someone else is not changed', async (t) => {
  const at = (trus: number, spec: number, request?: { state: number; id: string }): NamespaceMsg => ({
    ...nsWith(trus, request),
    resourceVersion: 'v3',
    spec: { name: NS, capacitySpec: { provisioned: { value: spec } } },
  });
  const raised = new FakeCloudOps({ namespace: [at(10, 10, { state: REQUEST.COMPLETED, id: 'manual-1' })] });
  const err = await service(raised)
    .setCapacity(NS, provisioned(6), 'op-5', provisioned(4))
    .catch((e: unknown) => e);
  t.ok(err instanceof DriftError, 'DriftError');
  t.equal((err as DriftError).type, 'CapacityDrift');
  t.same((err as DriftError).read, { current: provisioned(10), requested: provisioned(10), inProgress: false });
  t.match((err as Error).message, 'the namespace has 10 TRUs, not the 4 TRUs last verified');
  t.equal(raised.count('updateNamespace'), 0, 'nothing sent, from the one read the apply makes anyway');
  t.equal(raised.count('getNamespace'), 1);

  const underWay = new FakeCloudOps({ namespace: [at(4, 10, { state: REQUEST.IN_PROGRESS, id: 'manual-2' })] });
  t.same(
    await failure(service(underWay).setCapacity(NS, provisioned(6), 'op-6', provisioned(4))),
    [
      'DriftError',
      'CapacityDrift',
      'the namespace has 10 TRUs, not the 4 TRUs last verified: someone else changed it; nothing was sent',
    ],
    'a request by hand under way: its spec counts',
  );

  const asVerified = new FakeCloudOps({ namespace: [at(4, 4)], update: [{ id: 'op-7' }] });
  t.equal(await service(asVerified).setCapacity(NS, provisioned(6), 'op-7', provisioned(4)), 'op-7');
  const retried = new FakeCloudOps({ namespace: [at(6, 6, { state: REQUEST.COMPLETED, id: 'op-8' })] });
  t.equal(
    await service(retried).setCapacity(NS, provisioned(6), 'op-8', provisioned(4)),
    'op-8',
    'our own change, retried after a lost response, is no drift',
  );
});

t.test('setCapacity: nothing to change, and errors that are not retried here', async (t) => {
  const same = new CloudOpsError('NOTHING_TO_CHANGE', 'INVALID_ARGUMENT: nothing to change', 3);
  const nothing = new FakeCloudOps({ namespace: [nsWith(4)], update: [same] });
  t.equal(await service(nothing).setCapacity(NS, provisioned(4), 'op-1'), null);

  const down = new FakeCloudOps({ namespace: [nsWith(4)], update: [gone('UNAVAILABLE')] });
  await t.rejects(service(down).setCapacity(NS, provisioned(6), 'op-1'), {
    name: 'CloudOpsError',
    kind: 'UNAVAILABLE',
  });
  t.equal(down.count('getNamespace'), 1, 'no re-read for an error other than a failed precondition');

  const lookalike = Object.assign(new Error('proxy said nothing to change'), { kind: 'NOTHING_TO_CHANGE' });
  const unclassified = new FakeCloudOps({ namespace: [nsWith(4)], update: [lookalike] });
  await t.rejects(
    service(unclassified).setCapacity(NS, provisioned(6), 'op-1'),
    lookalike,
    'only a classified one counts',
  );
});

t.test('setCapacity: a stale resource version is re-read and retried at most three times', async (t) => {
  const stale = new CloudOpsError('FAILED_PRECONDITION', 'FAILED_PRECONDITION: resource version mismatch', 9);
  const v = (resourceVersion: string) => ({ ...nsWith(2), resourceVersion });
  const sentVersions = (ops: FakeCloudOps) =>
    ops.calls
      .filter((c) => c.method === 'updateNamespace')
      .map((c) => (c.arg as { resourceVersion: string }).resourceVersion);

  const once = new FakeCloudOps({ namespace: [v('v1'), v('v2'), v('v2')], update: [stale, { id: 'op-1' }] });
  t.equal(await service(once).setCapacity(NS, provisioned(4), 'op-1'), 'op-1');
  t.strictSame(sentVersions(once), ['v1', 'v2'], 'the retry sends the version read again');

  const unchanged = new FakeCloudOps({ namespace: [v('v1')], update: [stale] });
  await t.rejects(service(unchanged).setCapacity(NS, provisioned(4), 'op-1'), stale);
  t.strictSame(sentVersions(unchanged), ['v1'], 'an unchanged version: the precondition is something else, no retry');

  let n = 0;
  const racing = new FakeCloudOps({ update: [stale] });
  racing.getNamespace = async () => v(`v${++n}`);
  await t.rejects(service(racing).setCapacity(NS, provisioned(4), 'op-1'), stale);
  // Each try reads the namespace, then re-reads it after the failure: a new version every time.
  t.strictSame(sentVersions(racing), ['v1', 'v3', 'v5'], 'a version that keeps changing: three tries, then back off');

  const aborted = new CloudOpsError('ABORTED', 'ABORTED: concurrent modification', 10);
  const conflict = new FakeCloudOps({ namespace: [v('v1'), v('v2')], update: [aborted, { id: 'op-1' }] });
  t.equal(await service(conflict).setCapacity(NS, provisioned(4), 'op-1'), 'op-1');
  t.strictSame(sentVersions(conflict), ['v1', 'v2'], 'ABORTED: read again and resend, without a check of the version');
  const abortedAlways = new FakeCloudOps({ namespace: [v('v1')], update: [aborted] });
  await t.rejects(service(abortedAlways).setCapacity(NS, provisioned(4), 'op-1'), aborted);
  t.equal(abortedAlways.count('updateNamespace'), 3, 'at most three tries');
});

t.test('awaitOperation: polls no faster than checkDuration asks, and takes no look past the deadline', async (t) => {
  const clock = new FakeClock();
  const polls: string[] = [];
  const ops = new FakeCloudOps({
    operation: [
      { state: OP.PENDING, checkDuration: { seconds: secs(1), nanos: 500_000_000 } },
      { state: OP.IN_PROGRESS, checkDuration: { seconds: secs(30) } },
      { state: OP.IN_PROGRESS, checkDuration: { nanos: 300_999_999 } },
      { state: OP.IN_PROGRESS, checkDuration: { seconds: secs(0) } },
      { state: OP.IN_PROGRESS },
      { id: 'op-1', state: OP.FULFILLED },
    ],
  });
  const op = await service(ops, clock).awaitOperation('op-1', {
    deadline: clock.t + 60_000,
    onPoll: (w) => polls.push(w),
  });
  t.strictSame(op, { id: 'op-1', state: OP.FULFILLED });
  t.strictSame(clock.sleeps, [1500, 30_000, 300, 250, 250], 'checkDuration, however long; none or zero: 250 ms');
  t.strictSame(polls, ['operation PENDING', ...Array(4).fill('operation IN_PROGRESS'), 'operation FULFILLED']);
  t.strictSame(
    ops.calls.map((c) => c.arg),
    Array(6).fill('op-1'),
  );

  for (const state of [OP.FAILED, OP.CANCELLED, OP.REJECTED]) {
    const terminal = new FakeCloudOps({ operation: [{ state }] });
    t.strictSame(
      await service(terminal).awaitOperation('op-1', { deadline: 0 }),
      { state },
      `state ${state} is terminal`,
    );
  }

  const near = new FakeClock();
  const pending = { state: OP.PENDING, checkDuration: { seconds: secs(1) } };
  const late = new FakeCloudOps({ operation: [pending, pending, { state: OP.FULFILLED }] });
  t.strictSame(
    (await failure(service(late, near).awaitOperation('op-1', { deadline: near.t + 1_120 })))[1],
    'VerificationTimeout',
  );
  t.strictSame(near.sleeps, [1000, 1000], 'a look the API wants only after the deadline is not taken, but waited out');
  t.equal(late.count('getAsyncOperation'), 2);
});

t.test('awaitOperation: still running at the deadline is a verification timeout', async (t) => {
  const clock = new FakeClock();
  const polls: string[] = [];
  const ops = new FakeCloudOps({ operation: [{ state: OP.PENDING }] });
  const timedOut = service(ops, clock).awaitOperation('op-1', {
    deadline: clock.t + 500,
    onPoll: (w) => polls.push(w),
  });
  await t.rejects(timedOut, CapacityRuleError);
  t.strictSame(await failure(timedOut), [
    'CapacityRuleError',
    'VerificationTimeout',
    'operation op-1 still PENDING at the verification deadline',
  ]);
  t.strictSame(clock.sleeps, [250, 250, 250], 'one last look exactly at the deadline, its checkDuration waited out');
  t.equal(polls.length, 3);

  const unknown = new FakeCloudOps({ operation: [{ state: 42 as AsyncOperationMsg['state'] }] });
  const polled: string[] = [];
  t.strictSame(await failure(service(unknown).awaitOperation('op-2', { deadline: 0, onPoll: (w) => polled.push(w) })), [
    'CapacityRuleError',
    'VerificationTimeout',
    'operation op-2 still unknown at the verification deadline',
  ]);
  t.strictSame(polled, ['operation UNKNOWN']);
});

t.test('reads during verification: transient failures retried until the deadline, others at once', async (t) => {
  const clock = new FakeClock();
  const polls: string[] = [];
  const ops = new FakeCloudOps({ operation: [gone('UNAVAILABLE'), gone('UNAVAILABLE'), { state: OP.FULFILLED }] });
  const op = await service(ops, clock).awaitOperation('op-1', {
    deadline: clock.t + 10_000,
    onPoll: (w) => polls.push(w),
  });
  t.strictSame(op, { state: OP.FULFILLED });
  t.strictSame(clock.sleeps, [250, 250]);
  t.strictSame(polls, [...Array(2).fill('read failed, retrying: UNAVAILABLE: test'), 'operation FULFILLED']);

  const later = { deadline: clock.t + 10_000 };
  const denied = new FakeCloudOps({ operation: [gone('PERMISSION_DENIED'), { state: OP.FULFILLED }] });
  await t.rejects(service(denied).awaitOperation('op-1', later), { name: 'CloudOpsError', kind: 'PERMISSION_DENIED' });
  const broken = new FakeCloudOps({ operation: [new TypeError('bug'), { state: OP.FULFILLED }] });
  await t.rejects(service(broken).awaitOperation('op-1', later), TypeError);

  const atDeadline = new FakeClock();
  const down = new FakeCloudOps({ operation: [gone('UNAVAILABLE')] });
  t.strictSame(await failure(service(down, atDeadline).awaitOperation('op-1', { deadline: atDeadline.t + 300 })), [
    'CloudOpsError',
    'UNAVAILABLE',
    'UNAVAILABLE: test',
  ]);
  t.strictSame(atDeadline.sleeps, [250], 'the read failure surfaces when no retry fits before the deadline');
  t.equal(down.count('getAsyncOperation'), 2);
});

t.test('verify: the operation must be FULFILLED', async (t) => {
  const ended = (op: AsyncOperationMsg) => {
    const ops = new FakeCloudOps({ operation: [op] });
    return failure(service(ops).verify(NS, provisioned(4), 'op-1', { deadline: 0 })).then((f) => ({ f, ops }));
  };
  const failed = await ended({ state: OP.FAILED, failureReason: 'capacity unavailable in region' });
  t.strictSame(failed.f, [
    'CapacityRuleError',
    'OperationUnsuccessful',
    'operation op-1 ended FAILED: capacity unavailable in region',
  ]);
  t.equal(failed.ops.count('getNamespace'), 0, 'the namespace is not read after a failed operation');
  t.strictSame((await ended({ state: OP.REJECTED, failureReason: '' })).f[2], 'operation op-1 ended REJECTED');
  t.strictSame((await ended({ state: OP.CANCELLED })).f[2], 'operation op-1 ended CANCELLED');
});

t.test('verify: our request COMPLETED and the namespace at the target, polled until it is', async (t) => {
  const clock = new FakeClock();
  const polls: string[] = [];
  const ops = new FakeCloudOps({
    operation: [{ state: OP.FULFILLED }],
    namespace: [
      nsWith(2, { state: REQUEST.IN_PROGRESS, id: 'op-1' }),
      done(2, 'op-0'),
      nsWith(2),
      nsWith(2, { state: REQUEST.FAILED, id: 'op-1' }),
      done(2),
      done(4),
    ],
  });
  const observed = await service(ops, clock).verify(NS, provisioned(4), 'op-1', {
    deadline: clock.t + 60_000,
    onPoll: (w) => polls.push(w),
  });
  t.strictSame(observed, {
    namespace: NS,
    current: provisioned(4),
    latestRequest: { state: 'COMPLETED', asyncOperationId: 'op-1', startTime: null, endTime: null },
    changedAt: new Date(clock.t).toISOString(),
  });
  t.strictSame(polls, [
    'operation FULFILLED',
    'a capacity request is still in progress',
    'namespace has 2 TRUs, expected 4 TRUs',
    'namespace has 2 TRUs, expected 4 TRUs',
    'latest request is FAILED',
    'namespace has 2 TRUs, expected 4 TRUs',
    'verified',
  ]);
  t.strictSame(clock.sleeps, Array(5).fill(250));
  t.strictSame(
    ops.calls.filter((c) => c.method === 'getNamespace').map((c) => c.arg),
    Array(6).fill(NS),
  );
});

t.test('verify: the namespace need not echo our operation id; when it names ours, it must be COMPLETED', async (t) => {
  for (const [latest, what] of [
    [nsWith(4, { state: REQUEST.COMPLETED, id: '' }), 'no operation id on the latest request'],
    [done(4, 'an-id-of-its-own'), 'an operation id of its own'],
    [nsWith(4), 'no latest request at all'],
  ] as const) {
    const ops = new FakeCloudOps({ operation: [{ state: OP.FULFILLED }], namespace: [latest] });
    t.strictSame(
      (await service(ops).verify(NS, provisioned(4), 'op-1', { deadline: 0 })).current,
      provisioned(4),
      what,
    );
  }
  const failedOurs = new FakeCloudOps({
    operation: [{ state: OP.FULFILLED }],
    namespace: [nsWith(4, { state: REQUEST.FAILED, id: 'op-1' })],
  });
  t.strictSame(
    (await failure(service(failedOurs).verify(NS, provisioned(4), 'op-1', { deadline: 0 })))[2],
    'not verified before the deadline: latest request is FAILED',
  );
});

t.test('verify: the TRU value counts, not only the mode, from a provisioned baseline', async (t) => {
  const verifyOnce = (has: number, target: CapacityTarget) =>
    failure(
      service(new FakeCloudOps({ operation: [{ state: OP.FULFILLED }], namespace: [done(has)] })).verify(
        NS,
        target,
        'op-1',
        { deadline: 0 },
      ),
    );
  for (const [has, want] of [
    [4, 6],
    [6, 4],
  ] as const) {
    t.strictSame(await verifyOnce(has, provisioned(want)), [
      'CapacityRuleError',
      'VerificationTimeout',
      `not verified before the deadline: namespace has ${has} TRUs, expected ${want} TRUs`,
    ]);
  }
  t.strictSame(
    (await verifyOnce(4, ON_DEMAND))[2],
    'not verified before the deadline: namespace has 4 TRUs, expected On-Demand',
  );
});

t.test('verify: the deadline, and a change that had nothing to do', async (t) => {
  const clock = new FakeClock();
  const busy = nsWith(2, { state: REQUEST.IN_PROGRESS, id: 'op-1' });
  const stuck = new FakeCloudOps({ operation: [{ state: OP.FULFILLED }], namespace: [busy] });
  t.strictSame(await failure(service(stuck, clock).verify(NS, provisioned(4), 'op-1', { deadline: clock.t + 400 })), [
    'CapacityRuleError',
    'VerificationTimeout',
    'not verified before the deadline: a capacity request is still in progress',
  ]);
  t.strictSame(clock.sleeps, [250], 'no look that would fall after the deadline');

  // Nothing was sent (null operation): no operation to await, any latest request, only the capacity counts.
  const noop = new FakeCloudOps({ namespace: [nsWith(4, { state: REQUEST.FAILED, id: 'someone-else' })] });
  t.strictSame((await service(noop).verify(NS, provisioned(4), null, { deadline: 0 })).current, provisioned(4));
  t.equal(noop.count('getAsyncOperation'), 0);
  const other = new FakeCloudOps({ namespace: [nsWith(4, { state: REQUEST.IN_PROGRESS, id: 'someone-else' })] });
  t.strictSame(
    (await failure(service(other).verify(NS, provisioned(4), null, { deadline: 0 })))[2],
    'not verified before the deadline: a capacity request is still in progress',
  );
});

t.test('the default clock really waits between polls', async (t) => {
  const ops = new FakeCloudOps({ namespace: [nsWith(2), nsWith(4)] });
  const started = performance.now();
  await new CapacityService(ops).verify(NS, provisioned(4), null, { deadline: Date.now() + 10_000 });
  t.ok(performance.now() - started >= 240, 'one 250 ms wait before the second read');
  const late = new FakeCloudOps({ namespace: [nsWith(null)] });
  t.strictSame(
    await failure(new CapacityService(late).verify(NS, provisioned(4), null, { deadline: Date.now() - 1 })),
    [
      'CapacityRuleError',
      'VerificationTimeout',
      'not verified before the deadline: namespace has On-Demand, expected 4 TRUs',
    ],
  );
  t.equal(late.count('getNamespace'), 1, 'a deadline already past: one look, then the timeout');
});

t.test("verify: the change took effect at the operation's finish time, when the API gives one", async (t) => {
  const finished = Date.parse('2026-12-07T10:00:01.250Z');
  const ops = new FakeCloudOps({
    operation: [
      { state: OP.FULFILLED, finishedTime: { seconds: secs(Math.floor(finished / 1000)), nanos: 250_000_000 } },
    ],
    namespace: [done(4, 'op-1')],
  });
  const clock = new FakeClock();
  const observed = await service(ops, clock).verify(NS, provisioned(4), 'op-1', { deadline: clock.t + 60_000 });
  t.equal(observed.changedAt, '2026-12-07T10:00:01.250Z', 'not when it was seen');
  const none = new FakeCloudOps({ namespace: [done(4)] });
  const seen = await service(none, clock).verify(NS, provisioned(4), null, { deadline: clock.t + 60_000 });
  t.equal(seen.changedAt, new Date(clock.t).toISOString(), 'nothing to change: when it was seen');
});

// The API process (ROLE=api, the real entry) is SIGKILLed while 40 POSTs, each with its own Idempotency-Key and
// namespace, are in flight, then started again. Every 202 the client received must be a real window, and every
// request that got no answer, retried with its key and body, must end with exactly one window: 200 if the first
// attempt had reached Temporal, 202 if it had not. A TCP proxy delays Temporal's answers to the first API process
// by 400 ms, so that the kill finds requests in both states (started in Temporal but unanswered, and not started),
// whatever the machine's speed. The windows run on the harness's worker; only the HTTP contract is relied on
// (status codes, Location, id, GET by id, the listing), never the form of a window id.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { startDelayProxy, type DelayProxy } from '../helpers/delay-proxy.js';
import { getWindow, httpRequest, waitForWindowOverHttp, type HttpAnswer } from '../helpers/http.js';
import { freePort, spawnService, type ServiceProcess } from '../helpers/process.js';

const N = 40;

let h: Harness;
let proxy: DelayProxy;
const processes: ServiceProcess[] = [];
t.before(async () => {
  h = await startHarness({ applyDelayMs: 300 });
  proxy = await startDelayProxy(process.env.TEST_TEMPORAL_ADDRESS!, 400);
});
t.teardown(async () => {
  for (const p of processes) await p.kill();
  await proxy?.close();
  await h?.close();
});

async function startApi(port: number, temporalAddress: string): Promise<ServiceProcess> {
  const p = spawnService({
    ROLE: 'api',
    PORT: String(port),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
    TEMPORAL_CLOUD_API_KEY: h.secrets.cloudApiKey,
    CLOUD_OPS_ADDRESS: h.emulator.grpcAddress,
    GUARDRAIL_MIN_WINDOW_DURATION: '0s',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  processes.push(p);
  await p.waitForLine(/"capacity scheduler started"/);
  return p;
}

interface Attempt {
  namespace: string;
  key: string;
  body: Record<string, unknown>;
  first: { answer: HttpAnswer } | { error: string };
  /** The window this key ended with, once known. */
  id?: string;
}

t.test(
  'SIGKILL of the API with requests in flight: every 202 is a real window, every unanswered request retries into exactly one',
  async (t) => {
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const first = await startApi(port, proxy.address);
    // One request first, so the API's lazy connection to Temporal is up before the burst.
    const ready = await httpRequest(api, 'GET', '/v1/capacity-changes?pageSize=1');
    t.equal(ready.status, 200, `the API reads through the slow proxy: ${ready.body}`);

    const run = randomBytes(4).toString('hex');
    const attempts: Attempt[] = Array.from({ length: N }, (_, i) => {
      const namespace = h.newNamespace();
      return {
        namespace,
        key: `api-restart-${run}-${i}`,
        body: { namespace, trus: 4, duration: 'PT6S', reason: `api-restart test ${i}` },
        first: { error: 'not sent' },
      };
    });

    // The burst: a first group spread over ~0.75 s; when the first answer arrives, the second group goes out at
    // once and the API dies 50 ms later. Temporal answers the API 400 ms late (the proxy), so at the kill some of
    // the first group are started in Temporal but unanswered, and the second group has not got that far.
    const firstGroup = 25;
    let killedAt = 0;
    let secondGroup: Promise<unknown> | null = null;
    const killFirst = () => {
      if (killedAt) return;
      killedAt = Date.now();
      first.child.kill('SIGKILL');
    };
    const send = async (a: Attempt) => {
      try {
        const answer = await httpRequest(api, 'POST', '/v1/capacity-changes', {
          body: a.body,
          headers: { 'idempotency-key': a.key },
        });
        a.first = { answer };
        if (!secondGroup) {
          secondGroup = Promise.all(attempts.slice(firstGroup).map(send));
          setTimeout(killFirst, 50);
        }
      } catch (err) {
        a.first = { error: `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}` };
      }
    };
    const burstStart = Date.now();
    await Promise.all(
      attempts.slice(0, firstGroup).map(async (a, i) => {
        await new Promise((r) => setTimeout(r, i * 30));
        await send(a);
      }),
    );
    await secondGroup;
    killFirst();
    const exit = await first.exited;
    t.equal(exit.signal, 'SIGKILL', 'the first API process was SIGKILLed');
    t.comment(`killed ${killedAt - burstStart} ms into the burst`);

    const answered = attempts.filter((a): a is Attempt & { first: { answer: HttpAnswer } } => 'answer' in a.first);
    const unanswered = attempts.filter((a) => 'error' in a.first);
    t.comment(`${answered.length} answered before the kill, ${unanswered.length} got no answer`);
    t.ok(answered.length >= 1, 'some requests were answered before the kill');
    t.ok(unanswered.length >= 1, 'some requests got no answer');
    t.same(
      answered.map((a) => a.first.answer.status).filter((s) => s !== 202),
      [],
      'every answer the client received was a 202',
    );

    // A new API process on the same port, straight to Temporal.
    await startApi(port, process.env.TEST_TEMPORAL_ADDRESS!);

    // Every 202 the client received is a real window: its Location and id read back, for its own request.
    for (const a of answered) {
      const accepted = JSON.parse(a.first.answer.body) as { id: string; links: { self: string } };
      t.equal(a.first.answer.headers.location, accepted.links.self, 'Location is the window’s link');
      const res = await httpRequest(api, 'GET', a.first.answer.headers.location!);
      t.equal(res.status, 200, `the 202 for ${a.key} is a real window: ${res.body.slice(0, 300)}`);
      const w = JSON.parse(res.body) as CapacityChange;
      t.equal(w.id, accepted.id, 'the window read back is the one answered');
      t.match(w, { namespace: a.namespace, trus: 4, reason: a.body.reason }, 'and it is this request’s window');
      a.id = accepted.id;
      // Retried anyway (the client cannot know the answer was not lost): the same window, 200.
      const again = await httpRequest(api, 'POST', '/v1/capacity-changes', {
        body: a.body,
        headers: { 'idempotency-key': a.key },
      });
      t.equal(again.status, 200, `a retry of an answered request is a replay: ${again.body.slice(0, 300)}`);
      t.equal(JSON.parse(again.body).id, accepted.id, 'naming the same window');
    }

    // Every request that got no answer is retried with its key and body.
    const retried: Record<number, number> = {};
    for (const a of unanswered) {
      const res = await httpRequest(api, 'POST', '/v1/capacity-changes', {
        body: a.body,
        headers: { 'idempotency-key': a.key },
      });
      retried[res.status] = (retried[res.status] ?? 0) + 1;
      t.ok(
        res.status === 200 || res.status === 202,
        `the retry of ${a.key} answers 200 or 202: ${res.status} ${res.body.slice(0, 300)}`,
      );
      const accepted = JSON.parse(res.body) as { id: string; links: { self: string } };
      t.equal(res.headers.location, accepted.links.self, 'with the window’s Location');
      const w = await getWindow(api, accepted.id);
      t.match(
        w,
        { namespace: a.namespace, trus: 4, reason: a.body.reason },
        `${a.key}: the retry names this request’s window`,
      );
      a.id = accepted.id;
    }
    t.comment(`retries of unanswered requests: ${JSON.stringify(retried)} (200: had reached Temporal, 202: had not)`);
    // Both cases must have happened, or the test proved less than it says: requests started in Temporal whose
    // answer was still on its way (the proxy's delay), and requests that had not got that far (the second group).
    t.ok((retried[200] ?? 0) >= 1, 'some unanswered requests had reached Temporal: their retry was a replay (200)');
    t.ok((retried[202] ?? 0) >= 1, 'some had not: their retry created the window (202)');

    // Every window completes on the harness worker; then the listing (Temporal visibility) must show exactly
    // one window per key (each key has its own namespace), the one the client was given.
    for (const a of attempts) {
      const done = await waitForWindowOverHttp(api, a.id!, 'COMPLETED', (s) => s.status === 'COMPLETED', 60_000);
      t.equal(done.phase, 'COMPLETED', `${a.key}: ${JSON.stringify(done.result?.errors)}`);
    }
    for (const a of attempts) {
      const items = await waitFor(
        `the listing of ${a.namespace}`,
        async () => {
          const res = await httpRequest(
            api,
            'GET',
            `/v1/capacity-changes?namespace=${encodeURIComponent(a.namespace)}`,
          );
          if (res.status !== 200) return undefined;
          const list = JSON.parse(res.body) as { items: Array<{ id: string; status: string }> };
          // Visibility lags: wait until it shows this window closed.
          return list.items.some((i) => i.id === a.id && i.status === 'COMPLETED') ? list.items : undefined;
        },
        20_000,
      );
      t.same(
        items.map((i) => i.id),
        [a.id],
        `${a.key}: exactly one window for the key, the one the client holds`,
      );
      t.equal(
        h.emulator.state.snapshot(a.namespace).updates.length,
        2,
        `${a.key}: one apply and one revert reached Cloud Ops`,
      );
    }
  },
);

// The Slack notifier against a real local HTTP receiver: it posts, it times out, it never throws.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createSlackNotifier, slackMessage } from '../src/notify/slack.js';
import type { AlertInput } from '../src/shared/index.js';

const alert: AlertInput = {
  severity: 'CRITICAL',
  namespace: 'payments.a1b2c',
  trus: 4,
  step: 'REVERT',
  reason: 'FAILED_PRECONDITION: capacity cool-down: 30 s remaining',
  windowId: 'payments.a1b2c~x',
  workflowId: 'capacity-window-payments.a1b2c',
};

async function receiver(behaviour: 'ok' | 'error' | 'hang') {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      if (behaviour === 'ok') res.end('ok');
      else if (behaviour === 'error') res.writeHead(500).end('no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/secret-token`;
  return {
    url,
    bodies,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

function logged() {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({ level: 'debug', secrets: [], destination: { write: (l: string) => void lines.push(l) } }),
  };
}

t.test('posts an incoming-webhook message with text and blocks, and a Web UI link', async (t) => {
  const r = await receiver('ok');
  t.teardown(r.close);
  const { logger } = logged();
  const n = createSlackNotifier({
    webhookUrl: r.url,
    timeoutMs: 1_000,
    logger,
    uiUrl: 'http://ui.local:8233',
    temporalNamespace: 'default',
  });
  t.equal(await n.notify(alert), true);
  t.equal(r.bodies.length, 1);
  const msg = r.bodies[0] as { text: string; blocks: unknown[] };
  t.match(msg.text, /CRITICAL.*REVERT.*payments\.a1b2c.*4 TRUs.*cool-down/);
  const blocks = JSON.stringify(msg.blocks);
  t.match(blocks, 'payments.a1b2c');
  t.match(blocks, 'http://ui.local:8233/namespaces/default/workflows/capacity-window-payments.a1b2c');
});

/** Every mrkdwn/plain text of a Block Kit message, in order. */
function texts(blocks: unknown[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

t.test(
  'the Block Kit message names namespace, TRUs, window, step, reason, requester and links the workflow',
  async (t) => {
    const full: AlertInput = {
      ...alert,
      requestedBy: 'alice',
      requestReason: 'Black Friday peak <launch> & more',
      startAt: '2025-11-28T16:00:00.000Z',
      endAt: '2025-11-28T18:00:00.000Z',
    };
    const link = 'http://ui.local:8233/namespaces/default/workflows/capacity-window-payments.a1b2c';
    const msg = slackMessage(full, link);
    const all = texts(msg.blocks);
    const joined = all.join('\n');
    t.equal((msg.blocks[0] as { type: string }).type, 'header');
    t.match(all[0], /CRITICAL: capacity revert failed/);
    t.ok(all.includes('*Namespace*\npayments.a1b2c'), 'namespace');
    t.ok(all.includes('*TRUs*\n4'), 'TRUs');
    t.ok(all.includes('*Step*\nREVERT'), 'step');
    t.ok(all.includes('Requested by\nalice'), 'requester');
    t.ok(all.includes(`Reason\n${alert.reason}`), 'the failure reason');
    t.match(joined, 'Black Friday peak &lt;launch&gt; &amp; more', "the request's reason, escaped");
    const start = Date.parse('2025-11-28T16:00:00Z') / 1000;
    const end = Date.parse('2025-11-28T18:00:00Z') / 1000;
    t.match(
      joined,
      `*Window*\n<!date^${start}^{date_short_pretty} {time}|2025-11-28T16:00:00.000Z> → <!date^${end}^{date_short_pretty} {time}|2025-11-28T18:00:00.000Z>`,
      "window start → end, in the reader's time zone with an RFC 3339 fallback",
    );
    t.match(joined, `<${link}|Open the workflow in the Temporal Web UI>`);
    t.match(joined, 'payments.a1b2c~x', 'the window id');

    const permanent = texts(
      slackMessage({ ...alert, startAt: '2025-11-28T16:00:00.000Z', endAt: null }, null).blocks,
    ).join('\n');
    t.match(permanent, /\*Window\*\n.* → permanent \(no revert\)/);
    t.notMatch(permanent, 'Open the workflow', 'no link without a Web UI base URL');

    const bare = texts(slackMessage(alert, null).blocks).join('\n');
    t.notMatch(bare, '*Window*', 'no window field when the alert does not carry one');
    t.notMatch(bare, 'Requested by');
  },
);

t.test('sends are counted by outcome: sent, failed, disabled', async (t) => {
  const metrics = createMetrics();
  const ok = await receiver('ok');
  const refusing = await receiver('error');
  t.teardown(async () => {
    await ok.close();
    await refusing.close();
  });
  const logger = logged().logger;
  await createSlackNotifier({ webhookUrl: ok.url, timeoutMs: 1_000, logger, metrics }).notify(alert);
  await createSlackNotifier({ webhookUrl: ok.url, timeoutMs: 1_000, logger, metrics }).notify(alert);
  await createSlackNotifier({ webhookUrl: refusing.url, timeoutMs: 1_000, logger, metrics }).notify(alert);
  await createSlackNotifier({ webhookUrl: null, timeoutMs: 1_000, logger, metrics }).notify(alert);
  const values = Object.fromEntries(
    (await metrics.slackSends.get()).values.map((v) => [String(v.labels.outcome), v.value]),
  );
  t.same(values, { sent: 2, failed: 1, disabled: 1 });
});

t.test('a refusing or hanging Slack is logged, never thrown, and the URL stays out of the log', async (t) => {
  for (const behaviour of ['error', 'hang'] as const) {
    const r = await receiver(behaviour);
    const { logger, lines } = logged();
    const n = createSlackNotifier({ webhookUrl: r.url, timeoutMs: 300, logger });
    const started = Date.now();
    t.equal(await n.notify(alert), false, `${behaviour}: reported as not sent`);
    t.ok(Date.now() - started < 3_000, `${behaviour}: bounded by the timeout`);
    t.match(lines.join(''), /Slack/, `${behaviour}: logged`);
    t.notMatch(lines.join(''), 'secret-token', `${behaviour}: no webhook URL in the log`);
    await r.close();
  }
});

t.test('nothing is sent when no webhook is configured', async (t) => {
  const r = await receiver('ok');
  t.teardown(r.close);
  const n = createSlackNotifier({ webhookUrl: null, timeoutMs: 1_000, logger: logged().logger });
  t.equal(await n.notify(alert), false);
  t.equal(r.bodies.length, 0);
});

t.test('the logger redacts secrets wherever they appear', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    secrets: ['s3cr3t-key'],
    destination: { write: (l: string) => void lines.push(l) },
  });
  logger.info({ apiKey: 'other-value', nested: { text: 'token=s3cr3t-key' } }, 'message with s3cr3t-key inside');
  logger.flush();
  const out = lines.join('');
  t.notMatch(out, 's3cr3t-key');
  t.notMatch(out, 'other-value', 'known secret paths are censored');
  t.match(out, '[REDACTED]');
});

t.test('a reason with mrkdwn, links, mentions and escape codes reaches Slack as inert plain text', async (t) => {
  const r = await receiver('ok');
  t.teardown(() => r.close());
  const n = createSlackNotifier({
    webhookUrl: r.url,
    timeoutMs: 2_000,
    logger: createLogger({ level: 'silent', secrets: [] }),
  });
  const evil = '*urgent* _now_ <https://evil.example|Open the workflow> <!channel> \x1b[31mred\x1b[0m\r&gt; done';
  t.equal(await n.notify({ ...alert, requestedBy: '<@U123> *boss*', requestReason: evil }), true);
  const msg = r.bodies[0] as { blocks: Array<{ text?: { type: string; text: string }; fields?: unknown[] }> };
  const userTexts = msg.blocks
    .flatMap((b) => [b.text, ...((b.fields ?? []) as Array<{ type: string; text: string }>)])
    .filter((x): x is { type: string; text: string } => x !== undefined && /evil|boss/.test(x.text));
  t.equal(userTexts.length, 2, 'the reason and the requester');
  for (const x of userTexts) {
    t.equal(x.type, 'plain_text', `no mrkdwn: ${x.text}`);
    // eslint-disable-next-line no-control-regex
    t.notMatch(x.text, /[<>\x00-\x08\x0b-\x1f\x7f]/, 'no raw < or >, no control character');
  }
  t.match(
    userTexts[1].text,
    'Requested for\n*urgent* _now_ &lt;https://evil.example|Open the workflow&gt; &lt;!channel&gt; [31mred[0m&amp;gt; done',
  );
  t.equal(userTexts[0].text, 'Requested by\n&lt;@U123&gt; *boss*');
});

t.test('a drift is no failure of ours: the message says the namespace was changed outside the scheduler', async (t) => {
  const drift: AlertInput = {
    severity: 'WARNING',
    namespace: 'payments.a1b2c',
    trus: 4,
    step: 'DRIFT',
    reason: 'expected 4 TRUs, found 10 TRUs',
    windowId: 'payments.a1b2c_a~r1, payments.a1b2c_b~r2',
  };
  const msg = slackMessage(drift, null);
  t.equal(
    msg.text,
    ':warning: [WARNING] Capacity of payments.a1b2c changed outside the scheduler: expected 4 TRUs, found 10 TRUs',
  );
  t.match(JSON.stringify(msg.blocks), 'WARNING: capacity changed by hand');
  t.match(JSON.stringify(msg.blocks), 'payments.a1b2c_a~r1, payments.a1b2c_b~r2');
  t.notMatch(msg.text, 'failed');
});

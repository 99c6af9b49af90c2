// A plain HTTP client for the tests that talk to a real service process over the network (not app.inject):
// one fresh connection per request, so a killed process shows up as a socket error on exactly the requests it
// had not answered.
import http from 'node:http';
import type { CapacityChange } from '../../src/api/routes/capacity-changes/schema.js';
import { waitFor } from './harness.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection; resolves with the answer, rejects on a socket error (no answer). */
export function httpRequest(
  baseUrl: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const url = new URL(path, baseUrl);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: `${url.pathname}${url.search}`,
        agent: false,
        headers: {
          ...(payload !== undefined && {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          }),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`${method} ${path}: no answer within ${opts.timeoutMs ?? 30_000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET /v1/capacity-changes/{id} on a service process; throws unless 200. */
export async function getWindow(baseUrl: string, id: string): Promise<CapacityChange> {
  const res = await httpRequest(baseUrl, 'GET', `/v1/capacity-changes/${encodeURIComponent(id)}`);
  if (res.status !== 200) throw new Error(`GET window ${id}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as CapacityChange;
}

/**
 * Polls a window over HTTP until `done` holds. Failed reads (the service or Temporal briefly unreachable) are
 * retried until the timeout; the last one is reported if it never holds.
 */
export async function waitForWindowOverHttp(
  baseUrl: string,
  id: string,
  what: string,
  done: (s: CapacityChange) => boolean,
  timeoutMs = 30_000,
): Promise<CapacityChange> {
  let last = 'nothing read yet';
  try {
    return await waitFor(
      `window ${id}: ${what}`,
      async () => {
        try {
          const s = await getWindow(baseUrl, id);
          last = JSON.stringify(s);
          if (done(s)) return s;
        } catch (err) {
          last = (err as Error).message;
        }
        await new Promise((r) => setTimeout(r, 150));
        return undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last read: ${last.slice(0, 2000)}`, { cause: err });
  }
}

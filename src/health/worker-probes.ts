// The worker role serves no API; Kubernetes (or any supervisor) still needs to ask it whether it lives and polls,
// and Prometheus to read the counters its activities keep (they live in this process, not in the API's).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics, type Metrics } from '../metrics.js';

export interface WorkerProbes {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /healthz: 200 while the process answers. GET /readyz: 200 while the worker polls its task queue, 503 before
 * it starts and once it drains. GET /metrics: this process's metrics, as the API serves its own, without a token
 * like the API's. Nothing else: no dependency is called, so probes and scrapes cost Temporal nothing.
 */
export async function startWorkerProbes(opts: {
  host: string;
  port: number;
  polling: () => boolean;
  metrics: Metrics;
}): Promise<WorkerProbes> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, { status: 'method not allowed' });
    if (req.url === '/healthz') return answer(200, { status: 'ok' });
    if (req.url === '/readyz') {
      return opts.polling() ? answer(200, { status: 'ready' }) : answer(503, { status: 'unavailable' });
    }
    if (req.url === '/metrics') {
      return void renderMetrics(opts.metrics).then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        () => answer(500, { status: 'metrics unavailable' }),
      );
    }
    return answer(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

// HTTP control plane: lets tests and operators inspect what the emulator received and inject faults.
// Plain node:http so that the emulator carries no web framework of its own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorError, FaultShapeError, type CapacitySpec, type EmulatorState } from './state.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface RunningControlServer {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  body?: unknown;
}

export async function startControlServer(
  state: EmulatorState,
  host: string,
  port: number,
): Promise<RunningControlServer> {
  const server = http.createServer((req, res) => {
    route(state, req).then(
      (reply) => send(res, reply),
      (err: unknown) => send(res, errorReply(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(state: EmulatorState, req: http.IncomingMessage): Promise<Reply> {
  const { pathname } = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  const nsMatch = /^\/namespaces\/([^/]+)$/.exec(pathname);
  const manualMatch = /^\/namespaces\/([^/]+)\/manual-change$/.exec(pathname);
  if (manualMatch && method === 'POST')
    return manualChange(state, decodeURIComponent(manualMatch[1]), await readJson(req));
  if (nsMatch && method === 'GET') return { status: 200, body: state.snapshot(decodeURIComponent(nsMatch[1])) };
  const historyMatch = /^\/namespaces\/([^/]+)\/capacity-history$/.exec(pathname);
  if (historyMatch && method === 'GET')
    return { status: 200, body: state.snapshot(decodeURIComponent(historyMatch[1])).capacityHistory };
  if (pathname === '/stats' && method === 'GET') return { status: 200, body: state.stats() };
  if (pathname === '/namespaces' && method === 'GET') return { status: 200, body: state.listNamespaces() };
  if (pathname === '/namespaces' && method === 'POST') return addNamespace(state, await readJson(req));
  if (pathname === '/faults' && method === 'POST') {
    state.injectFault(await readJson(req));
    return { status: 204 };
  }
  if (pathname === '/faults' && method === 'DELETE') {
    state.clearFaults();
    return { status: 204 };
  }
  throw new HttpError(404, `no route for ${method} ${pathname}`);
}

function addNamespace(state: EmulatorState, body: unknown): Reply {
  const namespace = (body as { namespace?: unknown } | null)?.namespace;
  if (typeof namespace !== 'string' || namespace === '') throw new HttpError(400, 'body must be {"namespace": "<id>"}');
  state.addNamespace(namespace);
  return { status: 201, body: state.snapshot(namespace) };
}

/** A change by hand, as a person's tool makes it: {"trus": N} or {"onDemand": true}. */
function manualChange(state: EmulatorState, namespace: string, body: unknown): Reply {
  const b = body as Record<string, unknown> | null;
  const keys = b && typeof b === 'object' && !Array.isArray(b) ? Object.keys(b).join(',') : '';
  let spec: CapacitySpec;
  if (keys === 'trus' && Number.isInteger(b!.trus) && (b!.trus as number) > 0)
    spec = { provisioned: { value: b!.trus as number } };
  else if (keys === 'onDemand' && b!.onDemand === true) spec = { onDemand: {} };
  else throw new HttpError(400, 'body must be {"trus": <positive integer>} or {"onDemand": true}');
  const op = state.manualChange(namespace, spec);
  return { status: 202, body: { asyncOperationId: op.id } };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function errorReply(err: unknown): Reply {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message } };
  if (err instanceof FaultShapeError) return { status: 400, body: { error: err.message } };
  if (err instanceof EmulatorError) {
    const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'ALREADY_EXISTS' ? 409 : 400;
    return { status, body: { error: err.message } };
  }
  return { status: 500, body: { error: err instanceof Error ? err.message : String(err) } };
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
}

// The runbook client's HTTP side: one request to the Capacity Scheduler API, and the exit codes scripts rely on.

export const DEFAULT_URL = 'http://127.0.0.1:8080';
export const REQUEST_TIMEOUT_MS = 15_000;

/** Exit codes of capacityctl; documented in `capacityctl --help` and docs/runbook.md. */
export const EXIT = { ok: 0, failed: 1, http: 2, unreachable: 3, usage: 64, internal: 70 } as const;

export interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path and query, from the API root: "/v1/capacity-changes". */
  path: string;
  body?: Record<string, unknown>;
}

/** A 2xx answer; body is null for 204. */
export interface Answer {
  status: number;
  body: unknown;
}

/** The API answered with an error (or with something that is not the API's JSON): exit 2. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(formatHttpError(status, body));
  }
}

/** No answer at all (connection refused, DNS, TLS, timeout): exit 3. */
export class UnreachableError extends Error {}

export type Send = (request: Request) => Promise<Answer>;

export function formatHttpError(status: number, body: unknown): string {
  const e = body as { code?: unknown; message?: unknown } | null;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return `${e.code}: ${e.message}`;
  return `HTTP_${status}: unexpected answer from the Capacity Scheduler`;
}

/**
 * The headers of a request: JSON when there is a body, the intent header on every write (the API refuses a
 * bodiless write without it), the bearer token when one is configured.
 */
export function requestHeaders(request: Request, token: string | undefined): Record<string, string> {
  return {
    accept: 'application/json',
    ...(request.body !== undefined && { 'content-type': 'application/json' }),
    ...(request.method !== 'GET' && { 'x-requested-with': 'capacityctl' }),
    ...(token && { authorization: `Bearer ${token}` }),
  };
}

function causeText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** A Send over fetch, against baseUrl (no trailing slash). */
export function httpSender(baseUrl: string, token: string | undefined, fetchImpl: typeof fetch = fetch): Send {
  return async (request) => {
    const url = `${baseUrl}${request.path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetchImpl(url, {
        method: request.method,
        headers: requestHeaders(request, token),
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(`UNREACHABLE: ${baseUrl}: ${causeText(err)}`);
    }
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ApiError(res.status, null);
      }
    }
    if (!res.ok) throw new ApiError(res.status, body);
    if (body === null && res.status !== 204) throw new ApiError(res.status, null);
    return { status: res.status, body };
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { AuthConfig, Scope } from '../../config.js';
import { ApiError } from './errors.js';

/** Who sent a request, from its bearer token; null when authentication is open or disabled. */
export interface Caller {
  name: string;
  scopes: Scope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** Only the API proper needs a token: /healthz, /readyz, /metrics, /docs and /openapi.json stay open. */
export function isProtected(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0];
  return path === '/v1' || path.startsWith('/v1/') || (request.routeOptions.url?.startsWith('/v1/') ?? false);
}

const BEARER = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i;

function unauthenticated(message: string): ApiError {
  return new ApiError(401, 'UNAUTHENTICATED', message);
}

/**
 * The caller the token names, or undefined. Every entry is compared, in constant time, whatever matched
 * before: how long this takes says nothing about which hash, or how much of it, was close.
 */
function identify(tokens: AuthConfig['tokens'], token: string): Caller | undefined {
  const digest = createHash('sha256').update(token, 'utf8').digest();
  let found: Caller | undefined;
  for (const entry of tokens) {
    const same = timingSafeEqual(digest, entry.sha256);
    if (same && found === undefined) found = { name: entry.name, scopes: entry.scopes };
  }
  return found;
}

/** capacity:read for what only reads, capacity:write for everything that creates or changes. */
export function requiredScope(method: string): Scope {
  return method === 'GET' || method === 'HEAD' ? 'capacity:read' : 'capacity:write';
}

/**
 * Sets request.caller from the bearer token of a /v1 request, or throws 401/403. Also called for URLs the router
 * refuses before any hook runs (src/api/app.ts), so that no answer reveals a route to an unauthenticated caller.
 */
export function authenticate(auth: AuthConfig, request: FastifyRequest, reply: FastifyReply): void {
  if (auth.mode !== 'tokens' || !isProtected(request)) return;
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? BEARER.exec(header) : null;
  if (!match) {
    reply.header('www-authenticate', 'Bearer realm="capacity-scheduler"');
    throw unauthenticated('this endpoint needs an API token: send "Authorization: Bearer <token>"');
  }
  const caller = identify(auth.tokens, match[1]);
  if (!caller) {
    reply.header('www-authenticate', 'Bearer realm="capacity-scheduler", error="invalid_token"');
    throw unauthenticated('the bearer token is not known');
  }
  const scope = requiredScope(request.method);
  if (!caller.scopes.includes(scope)) {
    reply.header('www-authenticate', `Bearer realm="capacity-scheduler", error="insufficient_scope", scope="${scope}"`);
    throw new ApiError(
      403,
      'FORBIDDEN_SCOPE',
      `token "${caller.name}" lacks the scope ${scope} that ${request.method} needs`,
    );
  }
  request.caller = caller;
}

/**
 * Bearer-token authentication and authorization for /v1, then a per-token rate limit (per IP without a
 * token). Installed on the root instance before the routes: the hook sees all of them, and the rate limit,
 * which adds its hooks route by route, only applies to routes registered after it.
 */
export async function registerAuth(app: FastifyInstance, auth: AuthConfig): Promise<void> {
  app.decorateRequest('caller', null);

  if (auth.mode === 'tokens') app.addHook('onRequest', async (request, reply) => authenticate(auth, request, reply));

  if (auth.rateLimitPerMinute !== null) {
    const max = auth.rateLimitPerMinute;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: 60_000,
      // After authentication (a root hook runs before these route hooks), so a token has its own budget.
      hook: 'onRequest',
      allowList: (request) => !isProtected(request),
      keyGenerator: (request) => (request.caller ? `token:${request.caller.name}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `more than ${max} requests per minute; retry in ${context.after}`),
    });
  }
}

/**
 * The requestedBy of what a request creates: the token's name when authentication is on (a different body
 * value is refused), the body's value otherwise.
 */
export function requestedByOf(request: FastifyRequest, fromBody: string | undefined): string | undefined {
  const caller = request.caller;
  if (!caller) return fromBody;
  if (fromBody !== undefined && fromBody !== caller.name) {
    // 422: the body is valid; what it breaks depends on who calls, which no schema can know.
    throw new ApiError(
      422,
      'REQUESTED_BY_FROM_TOKEN',
      `requestedBy is the name of your token ("${caller.name}"); leave it out or send that name`,
    );
  }
  return caller.name;
}

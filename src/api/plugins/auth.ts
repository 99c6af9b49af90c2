import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { AuthConfig, Grant, Scope, TrustedProxy } from '../../config.js';
import { ApiError } from './errors.js';

/** Who sent a request: a bearer token's name or a proxy user, with what they may do; null when auth is open. */
export interface Caller {
  name: string;
  grants: Grant[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** The scope the route needs; default: capacity:read for GET, windows:create otherwise. */
    scope?: Scope;
  }
}

/** Only the API proper needs a token: /healthz, /readyz, /metrics, /docs and /openapi.json stay open. */
export function isProtected(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0];
  return path === '/v1' || path.startsWith('/v1/') || (request.routeOptions.url?.startsWith('/v1/') ?? false);
}

const BEARER = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i;
const PROXY_USER = /^[A-Za-z0-9 ._@+:/-]{1,200}$/;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The header that says "meant" on a write without a JSON body (a cross-site form cannot set it). */
export const INTENT_HEADER = 'x-requested-with';

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
    if (same && found === undefined) found = { name: entry.name, grants: [entry] };
  }
  return found;
}

/** The user a trusted proxy names, with the grants of their user and group roles. */
function identifyProxied(proxy: TrustedProxy, request: FastifyRequest): Caller {
  const raw = request.socket.remoteAddress ?? '';
  const address = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
  if (!proxy.addresses.check(address, isIPv4(address) ? 'ipv4' : 'ipv6')) {
    throw unauthenticated('this endpoint is served only through the authenticating proxy');
  }
  const user = request.headers[proxy.userHeader];
  if (typeof user !== 'string' || !PROXY_USER.test(user)) {
    throw unauthenticated(`the proxy named no user (header ${proxy.userHeader})`);
  }
  const groupsHeader = request.headers[proxy.groupsHeader];
  const groups = typeof groupsHeader === 'string' ? groupsHeader.split(',').map((g) => g.trim()) : [];
  const grants = proxy.roles.filter((r) => r.user === user || (r.group !== undefined && groups.includes(r.group)));
  return { name: user, grants };
}

export function requiredScope(request: FastifyRequest): Scope {
  return (
    request.routeOptions.config?.scope ??
    (request.method === 'GET' || request.method === 'HEAD' ? 'capacity:read' : 'windows:create')
  );
}

const globMatches = (glob: string, namespace: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace);

const grantCovers = (grant: Grant, scope: Scope, namespace: string | null) =>
  grant.scopes.includes(scope) &&
  (grant.namespaces === null || (namespace !== null && grant.namespaces.some((g) => globMatches(g, namespace))));

/** Whether the caller (if any) may use the route's scope on this namespace. */
export function mayAccess(request: FastifyRequest, namespace: string): boolean {
  const caller = request.caller;
  return caller === null || caller.grants.some((g) => grantCovers(g, requiredScope(request), namespace));
}

/** Throws 403 FORBIDDEN_NAMESPACE unless the caller may use the route's scope on the namespace. */
export function checkNamespace(request: FastifyRequest, namespace: string): void {
  if (!mayAccess(request, namespace)) {
    throw new ApiError(
      403,
      'FORBIDDEN_NAMESPACE',
      `"${request.caller?.name}" may not ${requiredScope(request)} on namespace ${namespace}`,
    );
  }
}

/** A caller limited to some namespaces must name one where a route could otherwise show any. */
export function requireNamespaceFilter(request: FastifyRequest, namespace: string | undefined): void {
  const limited = request.caller?.grants.every((g) => g.namespaces !== null) ?? false;
  if (namespace === undefined && limited) {
    throw new ApiError(403, 'FORBIDDEN_NAMESPACE', 'your access is limited to some namespaces: pass ?namespace=');
  }
  if (namespace !== undefined) checkNamespace(request, namespace);
}

/** Failed authentications per client address, in one-minute windows: guessing tokens gets slow. */
class FailureThrottle {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();
  constructor(private readonly perMinute: number) {}

  refuses(ip: string, now = Date.now()): number | null {
    const entry = this.counts.get(ip);
    if (!entry || entry.resetAt <= now) return null;
    return entry.count >= this.perMinute ? Math.ceil((entry.resetAt - now) / 1000) : null;
  }

  fail(ip: string, now = Date.now()): void {
    const entry = this.counts.get(ip);
    if (!entry || entry.resetAt <= now) {
      // Forget expired entries now and then, so that a spray of addresses cannot grow the map for ever.
      if (this.counts.size > 10_000) for (const [k, v] of this.counts) if (v.resetAt <= now) this.counts.delete(k);
      this.counts.set(ip, { count: 1, resetAt: now + 60_000 });
    } else entry.count++;
  }
}

/** Host names without port, brackets or trailing dot. */
function hostName(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  return h.replace(/:\d+$/, '').replace(/\.$/, '');
}

/**
 * Without bearer tokens a browser can carry the caller's access (a loopback port, a proxy's cookie): the Host
 * must be ours (DNS rebinding) and so must any Origin (cross-site requests).
 */
function checkSite(allowed: string[], request: FastifyRequest): void {
  const host = request.headers.host;
  if (typeof host !== 'string' || !allowed.includes(hostName(host))) {
    throw new ApiError(403, 'HOST_NOT_ALLOWED', 'the Host header is not one this API answers to (API_ALLOWED_HOSTS)');
  }
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let originHost: string | null;
  try {
    originHost = hostName(new URL(origin).host);
  } catch {
    originHost = null;
  }
  if (originHost === null || !allowed.includes(originHost)) {
    throw new ApiError(403, 'ORIGIN_NOT_ALLOWED', 'requests from this Origin are refused (API_ALLOWED_HOSTS)');
  }
}

/**
 * A write must say it was meant: a body in a content type some parser takes (only JSON: anything else is 415
 * UNSUPPORTED_MEDIA_TYPE), or the intent header. A cross-site form or beacon can do neither.
 */
function checkIntent(request: FastifyRequest): void {
  if (!WRITE_METHODS.has(request.method) || request.is404) return;
  if (request.headers['content-type'] === undefined && !request.headers[INTENT_HEADER]) {
    throw new ApiError(
      415,
      'INTENT_REQUIRED',
      `a write needs Content-Type: application/json (send {} when there is nothing to say) or an ${INTENT_HEADER} header`,
    );
  }
}

/**
 * Site and intent checks, authentication (bearer token or trusted proxy) and authorization for /v1, then a
 * rate limit on every route per caller (per IP without one). Installed on the root instance before the routes:
 * the hooks see all of them, and the rate limit, which adds its hooks route by route, only applies to routes
 * registered after it.
 */
export async function registerAuth(app: FastifyInstance, auth: AuthConfig): Promise<void> {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request, reply) => {
    authenticate(auth, request, reply);
    checkIntent(request);
  });
  // Body, query and path are known only after validation: a namespace named there is checked then.
  app.addHook('preHandler', async (request) => {
    if (request.caller === null) return;
    for (const source of [request.params, request.body, request.query]) {
      const namespace = (source as { namespace?: unknown } | undefined)?.namespace;
      // A query may name several (the diagnostics: "a.b1,c.d2").
      if (typeof namespace === 'string') for (const ns of namespace.split(',')) checkNamespace(request, ns.trim());
    }
  });

  if (auth.rateLimitPerMinute !== null) {
    const max = auth.rateLimitPerMinute;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: 60_000,
      // After authentication (a root hook runs before these route hooks), so a caller has its own budget.
      hook: 'onRequest',
      keyGenerator: (request) => (request.caller ? `caller:${request.caller.name}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `more than ${max} requests per minute; retry in ${context.after}`),
    });
  }
}

/** One throttle per configuration: the hook and the router's own refusals (src/api/app.ts) count together. */
const throttles = new WeakMap<AuthConfig, FailureThrottle>();

/**
 * The site check (without bearer tokens), then request.caller from the bearer token or the trusted proxy of a
 * /v1 request, or 401/403/429. Also called for URLs the router refuses before any hook runs (src/api/app.ts), so
 * that no answer reveals a route to an unauthenticated caller.
 */
export function authenticate(auth: AuthConfig, request: FastifyRequest, reply: FastifyReply): void {
  // /v1 only: probes (kubelet sends the pod's IP as Host), metrics and docs change nothing and read no secret.
  if (auth.mode !== 'tokens' && isProtected(request)) checkSite(auth.allowedHosts, request);
  if (!isProtected(request) || (auth.mode !== 'tokens' && auth.mode !== 'proxy')) return;
  let throttle = throttles.get(auth);
  if (throttle === undefined && auth.authFailuresPerMinute !== null) {
    throttle = new FailureThrottle(auth.authFailuresPerMinute);
    throttles.set(auth, throttle);
  }
  const wait = throttle?.refuses(request.ip);
  if (wait != null) {
    reply.header('retry-after', String(wait));
    throw new ApiError(429, 'AUTH_THROTTLED', `too many failed authentications from your address; retry in ${wait} s`);
  }
  try {
    request.caller =
      auth.mode === 'proxy' ? identifyProxied(auth.proxy as TrustedProxy, request) : bearer(auth, request, reply);
  } catch (err) {
    throttle?.fail(request.ip);
    throw err;
  }
  authorize(request, reply);
}

function bearer(auth: AuthConfig, request: FastifyRequest, reply: FastifyReply): Caller {
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
  return caller;
}

/** The caller needs the route's scope on at least one namespace; which one is checked once it is known. */
function authorize(request: FastifyRequest, reply: FastifyReply): void {
  requireScope(request, requiredScope(request), reply);
}

/** Throws 403 FORBIDDEN_SCOPE unless the caller (if any) holds the scope on some namespace. */
export function requireScope(request: FastifyRequest, scope: Scope, reply?: FastifyReply): void {
  const caller = request.caller;
  if (caller === null || caller.grants.some((g) => g.scopes.includes(scope))) return;
  reply?.header('www-authenticate', `Bearer realm="capacity-scheduler", error="insufficient_scope", scope="${scope}"`);
  throw new ApiError(403, 'FORBIDDEN_SCOPE', `"${caller.name}" lacks the scope ${scope} that ${request.method} needs`);
}

/**
 * The requestedBy of what a request creates: the caller's name when authentication is on (a different body
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
      `requestedBy is your name as authenticated ("${caller.name}"); leave it out or send that name`,
    );
  }
  return caller.name;
}

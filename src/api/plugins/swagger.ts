import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { errorResponse } from '../schemas.js';

const API_TITLE = 'Capacity Scheduler API';

/** What every /v1 operation may also answer, from the auth hook and the rate limit (src/api/plugins/auth.ts). */
const AUTH_RESPONSES = {
  401: errorResponse(
    'UNAUTHENTICATED: no bearer token, or one that is not known (see the WWW-Authenticate header); in trusted-proxy ' +
      'mode, a request that did not come through the proxy or named no user.',
  ),
  403: errorResponse(
    'FORBIDDEN_SCOPE: the caller lacks the scope (capacity:read, windows:create, windows:cancel, schedules:write); ' +
      'FORBIDDEN_NAMESPACE: not on this namespace; HOST_NOT_ALLOWED or ORIGIN_NOT_ALLOWED: a Host or Origin outside ' +
      'API_ALLOWED_HOSTS (without bearer tokens).',
  ),
  429: errorResponse(
    'RATE_LIMITED: too many requests from this caller in the last minute; AUTH_THROTTLED: too many failed ' +
      'authentications from this address. See the Retry-After header.',
  ),
};
/** What every write may also answer (src/api/plugins/auth.ts, checkIntent). */
const INTENT_RESPONSE = errorResponse(
  'INTENT_REQUIRED: a write needs Content-Type: application/json (send {} when there is no body) or an ' +
    'X-Requested-With header; UNSUPPORTED_MEDIA_TYPE: a body that is not JSON.',
);

/** Registered before any route, so that every route lands in the document. */
export async function registerSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      // 3.1 because nullable fields are JSON Schema `anyOf [..., null]`, which 3.0 cannot express.
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: '1.0.0',
        description:
          'Give a Temporal Cloud namespace provisioned capacity (TRUs) for a window of time, then put it back on On-Demand. ' +
          'Each capacity change is a Temporal workflow execution; this API starts and reads them.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API token from API_TOKENS_FILE. capacity:read for GET operations, capacity:write for the others. ' +
              '(Local mode without a tokens file needs none.)',
          },
        },
      },
      tags: [
        { name: 'capacity-changes', description: 'Time-boxed capacity windows.' },
        { name: 'namespaces', description: 'What a namespace has now and what it accepts.' },
        { name: 'health', description: 'Liveness and readiness probes.' },
      ],
    },
    // Documentation only: every /v1 operation needs the bearer token and may answer 401, 403 and 429.
    transform: ({ schema, url, route }) => {
      if (!url.startsWith('/v1/') || !schema) return { schema, url };
      const response = (schema as { response?: Record<string, unknown> }).response ?? {};
      const write = [route.method].flat().some((m) => m !== 'GET' && m !== 'HEAD');
      return {
        schema: {
          ...schema,
          security: [{ bearerAuth: [] }],
          response: { ...response, ...AUTH_RESPONSES, ...(write && { 415: INTENT_RESPONSE }) },
        },
        url,
      };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Hashes of Swagger UI's own inline code; no framing (clickjacking of "Try it out"), and no upgrade to https,
    // which a plain-http loopback listener could not serve.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(' upgrade-insecure-requests;', ''),
    uiHooks: {
      onRequest: async (_request, reply) => {
        reply.header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

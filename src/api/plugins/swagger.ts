import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { errorResponse } from '../schemas.js';

const API_TITLE = 'Capacity Scheduler API';

/** What every /v1 operation may also answer, from the auth hook and the rate limit (src/api/plugins/auth.ts). */
const AUTH_RESPONSES = {
  401: errorResponse('UNAUTHENTICATED: no bearer token, or one that is not known (see the WWW-Authenticate header).'),
  403: errorResponse('FORBIDDEN_SCOPE: the token lacks the scope (capacity:read for GET, capacity:write otherwise).'),
  429: errorResponse('RATE_LIMITED: too many requests for this token in the last minute; see the Retry-After header.'),
};

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
    transform: ({ schema, url }) => {
      if (!url.startsWith('/v1/') || !schema) return { schema, url };
      const response = (schema as { response?: Record<string, unknown> }).response ?? {};
      return {
        schema: { ...schema, security: [{ bearerAuth: [] }], response: { ...response, ...AUTH_RESPONSES } },
        url,
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

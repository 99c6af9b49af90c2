import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { INTENT_HEADER } from './auth.js';
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

/** What Fastify itself answers, before the handler, for an operation with path parameters or a body. */
const PATH_RESPONSES = {
  400: errorResponse('INVALID_URL: a malformed percent-encoding in the path.'),
  414: errorResponse('URI_TOO_LONG: a path parameter longer than 512 characters.'),
};
const BODY_RESPONSES = {
  400: errorResponse('VALIDATION_FAILED or INVALID_JSON.'),
  413: errorResponse('PAYLOAD_TOO_LARGE: the body exceeds 64 KiB.'),
  415: errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json.'),
};
const QUERY_RESPONSES = { 400: errorResponse('VALIDATION_FAILED: a query parameter that is unknown or malformed.') };

type RouteSchema = { params?: unknown; body?: unknown; querystring?: unknown; response?: Record<string, unknown> };

/** Every status an operation can answer: its own, then what its shape (parameters, body, query) and auth add. */
function allResponses(schema: RouteSchema, url: string, write: boolean): Record<string, unknown> {
  const responses = {
    ...(schema.params ? PATH_RESPONSES : {}),
    ...(schema.querystring ? QUERY_RESPONSES : {}),
    ...(schema.body ? BODY_RESPONSES : {}),
    ...schema.response,
    ...(url.startsWith('/v1/') ? AUTH_RESPONSES : {}),
    ...(write ? { 415: INTENT_RESPONSE } : {}),
  };
  const other400 = responses[400] as { description?: string };
  if (schema.params && other400 !== PATH_RESPONSES[400]) {
    responses[400] = errorResponse(`${other400.description} Or INVALID_URL: a malformed percent-encoding in the path.`);
  }
  return responses;
}

// A JSON pointer in a URI fragment: "/" escaped as ~1, the braces of a path template percent-encoded.
const ref = (path: string, method: string) => `#/paths/${encodeURIComponent(path.replaceAll('/', '~1'))}/${method}`;

/** OpenAPI links: the id a create answers with feeds the operations on what it created. */
const LINKS = [
  {
    from: ['/v1/capacity-changes', 'post', '202'],
    to: {
      GetWindow: ['/v1/capacity-changes/{id}', 'get'],
      MoveWindowEnd: ['/v1/capacity-changes/{id}', 'patch'],
      CancelWindow: ['/v1/capacity-changes/{id}/cancel', 'post'],
    },
  },
  {
    from: ['/v1/capacity-schedules', 'post', '201'],
    to: {
      GetSchedule: ['/v1/capacity-schedules/{id}', 'get'],
      ChangeSchedule: ['/v1/capacity-schedules/{id}', 'patch'],
      DeleteSchedule: ['/v1/capacity-schedules/{id}', 'delete'],
      PauseSchedule: ['/v1/capacity-schedules/{id}/pause', 'post'],
      UnpauseSchedule: ['/v1/capacity-schedules/{id}/unpause', 'post'],
      TriggerSchedule: ['/v1/capacity-schedules/{id}/trigger', 'post'],
    },
  },
] as const;

type Paths = Record<string, Record<string, { responses: Record<string, { links?: Record<string, unknown> }> }>>;

function addLinks(paths: Paths): void {
  for (const { from, to } of LINKS) {
    const [path, method, status] = from;
    paths[path][method].responses[status].links = Object.fromEntries(
      Object.entries(to).map(([name, [target, targetMethod]]) => [
        name,
        { operationRef: ref(target, targetMethod), parameters: { id: '$response.body#/id' } },
      ]),
    );
  }
}

const INTENT_HEADERS = {
  type: 'object',
  required: [INTENT_HEADER],
  properties: {
    [INTENT_HEADER]: {
      type: 'string',
      minLength: 1,
      description: 'Any value, e.g. the client name: a cross-site form cannot send it.',
    },
  },
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
        { name: 'reports', description: 'TRU-hours: what capacity cost, and who asked for it.' },
        { name: 'health', description: 'Liveness and readiness probes.' },
      ],
    },
    // Documentation only: every status an operation can answer, and the bearer token on every /v1 operation.
    transform: ({ schema, url, route }) => {
      if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
      const security = url.startsWith('/v1/') ? { security: [{ bearerAuth: [] }] } : {};
      const write = [route.method].flat().some((m) => m !== 'GET' && m !== 'HEAD');
      // A write must show intent (src/api/plugins/auth.ts): a JSON body, documented as required even where {} will
      // do, or, on a write that takes no body, the intent header.
      const intent = write && !(schema as RouteSchema).body ? { headers: INTENT_HEADERS } : {};
      const response = allResponses(schema as RouteSchema, url, write);
      return { schema: { ...schema, ...security, ...intent, response }, url };
    },
    transformObject: (documentObject) => {
      const openapi = (documentObject as { openapiObject: { paths: Paths } }).openapiObject;
      addLinks(openapi.paths);
      return openapi;
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

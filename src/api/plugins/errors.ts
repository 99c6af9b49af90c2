import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CloudOpsError } from '../../cloud-ops/errors.js';
import type { ApiErrorBody } from '../schemas.js';

/** An error a route means to send as is: the status and code are part of the API contract. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TEMPORAL_DEADLINE_MS = 10_000;

/** Every Temporal call goes through here, so that a dead server answers 503 instead of hanging the request. */
export function withTemporalDeadline<R>(client: Client, fn: () => Promise<R>, ms = TEMPORAL_DEADLINE_MS): Promise<R> {
  return client.withDeadline(Date.now() + ms, fn);
}

const UNREACHABLE_GRPC = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]);
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

function temporalUnreachable(err: unknown): boolean {
  return causes(err).some(
    (e) =>
      (isGrpcServiceError(e) && UNREACHABLE_GRPC.has(e.code)) ||
      (e instanceof Error &&
        (e.name === 'TransportError' || CONNECTION_ERRNO.has(String((e as { code?: unknown }).code)))),
  );
}

function grpcNotFound(err: unknown): boolean {
  return causes(err).some((e) => isGrpcServiceError(e) && e.code === GrpcStatus.NOT_FOUND);
}

/** Maps a thrown error to its public form; undefined means "unexpected": a 500 whose text stays in the log. */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof ScheduleAlreadyRunning) {
    return new ApiError(409, 'SCHEDULE_ALREADY_EXISTS', 'a capacity schedule with this id exists');
  }
  // Before the generic NOT_FOUND below, which means a window.
  if (err instanceof ScheduleNotFoundError) {
    return new ApiError(404, 'SCHEDULE_NOT_FOUND', 'no capacity schedule with this id');
  }
  if (err instanceof WorkflowNotFoundError || grpcNotFound(err)) {
    return new ApiError(404, 'WINDOW_NOT_FOUND', 'no capacity window with this id');
  }
  if (err instanceof CloudOpsError) {
    switch (err.kind) {
      case 'NOT_FOUND':
        return new ApiError(404, 'NAMESPACE_NOT_FOUND', 'the namespace does not exist in the Temporal Cloud account');
      case 'UNAVAILABLE':
        return new ApiError(503, 'CLOUD_OPS_UNAVAILABLE', 'the Cloud Ops API is unreachable; try again later');
      case 'PERMISSION_DENIED':
      case 'UNAUTHENTICATED':
        return new ApiError(502, 'CLOUD_OPS_REFUSED', 'the Cloud Ops API refused our credentials');
      default:
        // Whatever else Cloud Ops says is its answer, not our bug: a gateway error, its text kept out.
        return new ApiError(502, 'CLOUD_OPS_ERROR', 'the Cloud Ops API could not answer this request; try again later');
    }
  }
  // The window's worker did not take the Update in time (it may be restarting): nothing changed, and a retry is safe.
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ApiError(
      503,
      'WINDOW_NOT_ANSWERING',
      'the window did not answer in time (its worker may be restarting); nothing changed, try again',
    );
  }
  if (temporalUnreachable(err)) {
    return new ApiError(503, 'TEMPORAL_UNAVAILABLE', 'Temporal is unreachable; try again later');
  }
  return undefined;
}

function body(statusCode: number, code: string, message: string): ApiErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
  params: { additionalProperty?: string; missingProperty?: string };
}

/** The key a schema node names its stable error code with (a rule between fields, a duration...). */
export const ERROR_CODE_KEY = 'x-error-code';

/**
 * The code a schema node declares for itself ({ [ERROR_CODE_KEY], description }) when a request breaks it, found
 * by following Ajv's schemaPath into the route's schema; undefined when no failed node declares one.
 */
function declaredCode(request: FastifyRequest, context: string | undefined, errors: AjvError[]) {
  // Declared codes speak of objects' fields and rules; anything else is refused for its type.
  const data = (request as unknown as Record<string, unknown>)[context ?? ''];
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context ?? ''];
  // Ajv lists a oneOf's failed branches before the oneOf itself: the first node that declares a code wins.
  for (const error of errors) {
    let node = schema as Record<string, unknown> | undefined;
    for (const part of error.schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
      node = node?.[decodeURIComponent(part)] as Record<string, unknown> | undefined;
    }
    const code = node?.[ERROR_CODE_KEY];
    if (typeof code !== 'string') continue;
    const path = error.instancePath.split('/').filter(Boolean);
    const value = path.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], data);
    const field = path.length > 0 ? `${[context, ...path].join('.')} ${JSON.stringify(value)} is not valid: ` : '';
    return { code, message: `${field}${String(node?.description)}` };
  }
  return undefined;
}

/** Names the offending field: Ajv's own text says "must NOT have additional properties" without saying which. */
function validationMessage(context: string, errors: AjvError[]): string {
  return errors
    .map((e) => {
      const path = [context, ...e.instancePath.split('/').filter(Boolean)].join('.');
      if (e.keyword === 'additionalProperties') return `${path}.${e.params.additionalProperty} is not a known field`;
      if (e.keyword === 'required') return `${path}.${e.params.missingProperty} is required`;
      return `${path} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'INVALID_CONTENT_LENGTH'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URI_TOO_LONG'],
  FST_ERR_BAD_URL: [400, 'INVALID_URL'],
};

/**
 * For the errors the router raises before any hook or handler (frameworkErrors): an ApiError (from the auth check
 * that runs first) or Fastify's own, in our shape.
 */
export function sendFrameworkError(reply: FastifyReply, error: unknown): FastifyReply {
  const fastifyCode = (error as FastifyError).code;
  const known =
    error instanceof ApiError ? [error.statusCode, error.code] : (FASTIFY_CODES[fastifyCode] ?? [400, 'BAD_REQUEST']);
  const [statusCode, code] = known as [number, string];
  return reply.code(statusCode).send(body(statusCode, code, (error as Error).message));
}

/** One error shape everywhere: { statusCode, code, error, message }, and no 5xx detail ever reaches a client. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const declared = declaredCode(request, error.validationContext, error.validation as AjvError[]);
      if (declared) return reply.code(400).send(body(400, declared.code, declared.message));
      const message = validationMessage(error.validationContext ?? 'request', error.validation as AjvError[]);
      return reply.code(400).send(body(400, 'VALIDATION_FAILED', message));
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return reply.code(known[0]).send(body(known[0], known[1], error.message));

    const mapped = toApiError(error);
    if (mapped) {
      if (mapped.statusCode >= 500) request.log.warn({ err: error }, `answered ${mapped.code}`);
      return reply.code(mapped.statusCode).send(body(mapped.statusCode, mapped.code, mapped.message));
    }
    // Other client errors Fastify raises itself (e.g. a malformed URL) keep their status; their text is ours.
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      const code = (STATUS_CODES[error.statusCode] ?? 'BAD_REQUEST').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
      return reply.code(error.statusCode).send(body(error.statusCode, code, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(body(500, 'INTERNAL_ERROR', 'Internal server error'));
  });
}

/**
 * A known path with a method it does not have answers 405 with Allow (HTTP's rule), not 404. Installed after the
 * auth hook and before the routes: it learns every route as it is added, and a caller must authenticate first.
 */
export function installMethodNotAllowed(app: FastifyInstance): void {
  const routes: { path: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', ({ url, method }) => {
    const path = new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}$`);
    const known = routes.find((r) => r.path.source === path.source);
    const methods = known?.methods ?? [];
    if (!known) routes.push({ path, methods });
    methods.push(...[method].flat());
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0];
    const allowed = routes.find((r) => r.path.test(path))?.methods;
    if (!allowed) return;
    reply.header('allow', [...new Set(allowed)].join(', '));
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`);
  });
}

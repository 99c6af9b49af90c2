import { Type, type Static, type TProperties } from 'typebox';
import { NAMESPACE_ID_PATTERN } from '../shared/index.js';
import { ERROR_CODE_KEY } from './plugins/errors.js';

// Shared primitives, defined once so that every route speaks of a namespace, a TRU count or an instant alike.

export const NamespaceIdSchema = Type.String({
  pattern: NAMESPACE_ID_PATTERN,
  description: 'Temporal Cloud namespace id, "<name>.<account>".',
  examples: ['payments.a1b2c'],
});
export type NamespaceId = Static<typeof NamespaceIdSchema>;

export const TruCountSchema = Type.Integer({
  minimum: 1,
  maximum: 1000,
  description: 'Temporal Resource Units to provision. The namespace decides which values it accepts.',
  examples: [4],
});
export type TruCount = Static<typeof TruCountSchema>;

/** An RFC 3339 instant; the description can say what the instant means. */
export function rfc3339(description = 'RFC 3339 instant with a time zone, e.g. "2025-11-28T18:00:00Z".') {
  return Type.String({ format: 'date-time', description });
}
export const Rfc3339Schema = rfc3339();
export type Rfc3339 = Static<typeof Rfc3339Schema>;

const errorProperties = {
  statusCode: Type.Integer({ description: 'HTTP status, repeated for clients that lose it.' }),
  code: Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', description: 'Stable machine-readable code.' }),
  error: Type.String({ description: 'HTTP reason phrase.' }),
  message: Type.String({ description: 'What went wrong, for people.' }),
} satisfies TProperties;

export const ErrorSchema = Type.Object(errorProperties, { additionalProperties: false });
export type ApiErrorBody = Static<typeof ErrorSchema>;

/** The error shape with the description OpenAPI shows for one status of one route. */
export function errorResponse(description: string) {
  return Type.Object(errorProperties, { additionalProperties: false, description });
}

/** Errors every route can answer with. */
export const CommonErrorResponses = {
  500: errorResponse('INTERNAL_ERROR: an unexpected failure; details are in the service log only.'),
};

/**
 * A rule between fields that JSON Schema states (a `not` or `oneOf`), for a body's `allOf`: the document tells
 * clients, validation enforces it, and a request that breaks it gets 400 with this code and description.
 */
export function fieldRule(code: string, description: string, rule: { not: object } | { oneOf: object[] }) {
  return { [ERROR_CODE_KEY]: code, description, ...rule };
}

/** Exactly one of these fields. */
export const exactlyOne = (...fields: string[]) => ({ oneOf: fields.map((f) => ({ required: [f] })) });

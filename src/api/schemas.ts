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

// ISO 8601 durations in weeks, days, hours, minutes and whole seconds, each up to 4 digits (a window ends within
// Date's range). The same grammar as parseIsoDuration, narrowed, and written without lookarounds so that generators
// (schemathesis, fast-check) can produce values from it.
const N = '\\d{1,4}';
const ISO_DURATION = `^P(?:(?:${N}W)?(?:${N}D)?T(?:${N}H(?:${N}M)?(?:${N}S)?|${N}M(?:${N}S)?|${N}S)|${N}W(?:${N}D)?|${N}D)$`;
const ZERO_DURATION = '^P(?:0+W)?(?:0+D)?(?:T(?:0+H)?(?:0+M)?(?:0+S)?)?$';

/** An ISO 8601 duration ("PT2H", "P1DT30M"), longer than zero unless `zero` is allowed; 400 INVALID_DURATION. */
export function isoDuration(description: string, { zero = false } = {}) {
  return Type.String({
    maxLength: 64,
    pattern: ISO_DURATION,
    ...(!zero && { not: { pattern: ZERO_DURATION } }),
    [ERROR_CODE_KEY]: 'INVALID_DURATION',
    description,
    examples: ['PT2H'],
  });
}

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

/**
 * The error shape with the description OpenAPI shows for one status of one route; with `codes`, the only codes it
 * answers with (for 422: the rules a schema-valid request can still break, which a contract test accepts).
 */
export function errorResponse(description: string, codes?: readonly [string, ...string[]]) {
  const properties = codes ? { ...errorProperties, code: Type.Enum(codes) } : errorProperties;
  return Type.Object(properties, { additionalProperties: false, description });
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

import { Type, type Static } from 'typebox';
import { CommonErrorResponses, rfc3339 } from '../../schemas.js';

const Check = Type.Enum(['ok', 'unavailable']);

export const LivenessSchema = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });
export type Liveness = Static<typeof LivenessSchema>;

export const ReadinessSchema = Type.Object(
  {
    status: Type.Enum(['ready', 'unavailable']),
    mode: Type.Enum(['emulator', 'cloud'], {
      description: 'emulator: no TEMPORAL_CLOUD_API_KEY, capacity changes go to the built-in Cloud Ops emulator.',
    }),
    checks: Type.Object({ temporal: Check, cloudOps: Check }, { additionalProperties: false }),
    problems: Type.Array(Type.String(), {
      description: 'Why a check is unavailable, one line each (the service log has the server text); empty when ready.',
    }),
    checkedAt: Type.Union([rfc3339(), Type.Null()], {
      description: 'When the background check this answer reports ran; null before the first one.',
    }),
    ageSeconds: Type.Union([Type.Number(), Type.Null()], {
      description: 'Seconds since checkedAt (checks run every HEALTH_REFRESH_INTERVAL, default 15 s).',
    }),
    auth: Type.Enum(['tokens', 'open', 'disabled'], {
      description:
        'tokens: /v1 needs a bearer token (API_TOKENS_FILE). open: local mode without a tokens file, anyone can call /v1. ' +
        'disabled: AUTH_DISABLED=true, anyone can call /v1.',
    }),
  },
  { additionalProperties: false },
);
export type Readiness = Static<typeof ReadinessSchema>;

export const healthzSchema = {
  summary: 'Liveness probe',
  description: 'Answers 200 while the process serves HTTP. Checks no dependency.',
  tags: ['health'],
  response: { 200: LivenessSchema, ...CommonErrorResponses },
};

export const readyzSchema = {
  summary: 'Readiness probe',
  description:
    'Answers from the last background check (every HEALTH_REFRESH_INTERVAL, default 15 s), never calling a dependency ' +
    'itself: 200 when Temporal answered and an authenticated Cloud Ops call (GetCurrentIdentity) succeeded within ' +
    '3 seconds, else 503 with the same body, "unavailable" on the failing check and why in problems.',
  tags: ['health'],
  response: {
    200: ReadinessSchema,
    503: { ...ReadinessSchema, description: 'A dependency did not answer.' },
    ...CommonErrorResponses,
  },
};

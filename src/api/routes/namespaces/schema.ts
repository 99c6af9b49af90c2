import { Type, type Static } from 'typebox';
import { CommonErrorResponses, NamespaceIdSchema, errorResponse, rfc3339 } from '../../schemas.js';
import { DriftSchema } from '../capacity-changes/schema.js';

export const NamespaceParamsSchema = Type.Object({ namespace: NamespaceIdSchema });
export type NamespaceParams = Static<typeof NamespaceParamsSchema>;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

export const NamespaceCapacitySchema = Type.Object(
  {
    namespace: NamespaceIdSchema,
    mode: Type.Enum(['ON_DEMAND', 'PROVISIONED']),
    trus: nullable(Type.Integer(), 'Provisioned TRUs; null on On-Demand.'),
    latestRequest: nullable(
      Type.Object(
        {
          state: Type.Enum(['COMPLETED', 'IN_PROGRESS', 'FAILED', 'UNSPECIFIED']),
          asyncOperationId: nullable(Type.String()),
          startTime: nullable(rfc3339()),
          endTime: nullable(rfc3339()),
        },
        { additionalProperties: false },
      ),
      'The last capacity change the Cloud Ops API knows of.',
    ),
    validTruValues: Type.Array(Type.Integer(), { description: 'TRU values this namespace accepts.' }),
    maxAvailableTruValue: nullable(Type.Integer(), 'The largest value available right now, when the API says.'),
    apsStats: nullable(
      Type.Object({ mean: Type.Number(), p90: Type.Number(), p99: Type.Number() }, { additionalProperties: false }),
      'Recent actions per second.',
    ),
    recommendation: Type.Object(
      {
        trus: nullable(
          Type.Integer(),
          'The TRU value to book: p99 APS / apsPerTru, rounded up to the next valid value, capped by what is available now. ' +
            'null without APS statistics, or when no valid value is available.',
        ),
        basis: Type.Object(
          {
            apsP99: nullable(
              Type.Number(),
              'p99 actions per second of the recent statistics (7 days) used; null without statistics.',
            ),
            apsPerTru: Type.Integer({ description: 'Actions per second one TRU carries.', examples: [500] }),
            rawTrus: nullable(Type.Number(), 'apsP99 / apsPerTru, before rounding to a valid value.'),
          },
          { additionalProperties: false },
        ),
        cappedAt: nullable(
          Type.Integer(),
          'The limit that lowered the recommendation: maxAvailableTruValue, or the largest valid value when even that is ' +
            'below the need. null when nothing capped it.',
        ),
      },
      {
        additionalProperties: false,
        description: 'A recommended TRU value from the APS statistics, with the numbers it used.',
      },
    ),
    drift: nullable(
      Type.Object(
        {
          ...DriftSchema.properties,
          windowIds: Type.Array(Type.String(), { description: 'The windows that held the namespace then.' }),
        },
        { additionalProperties: false },
      ),
      "The latest change made outside the scheduler (the Cloud UI, tcld, Terraform) that the namespace's controller " +
        'found while windows held it: what it expected, what it found, when, DRIFT_POLICY, and the windows. It stays ' +
        'after those windows end, until a new controller run starts; null: none seen.',
    ),
  },
  { additionalProperties: false },
);
export type NamespaceCapacity = Static<typeof NamespaceCapacitySchema>;

export const getCapacitySchema = {
  summary: 'Read a namespace capacity',
  description:
    'What the Cloud Ops API reports for the namespace now: its mode, its TRUs, the last change request, and the TRU ' +
    'values it accepts; plus a recommended TRU value from its p99 actions per second (500 APS per TRU, rounded up to a ' +
    'valid value, capped by what is available now). Only namespaces this service may change are read: outside ' +
    'GUARDRAIL_NAMESPACE_ALLOWLIST the answer is 403 NAMESPACE_NOT_ALLOWED, on GUARDRAIL_NAMESPACE_DENYLIST 403 ' +
    'NAMESPACE_DENIED, without any Cloud Ops call.',
  tags: ['namespaces'],
  params: NamespaceParamsSchema,
  response: {
    200: NamespaceCapacitySchema,
    400: errorResponse('VALIDATION_FAILED: the namespace id is malformed.'),
    404: errorResponse('NAMESPACE_NOT_FOUND: the Cloud Ops API does not know the namespace.'),
    502: errorResponse('CLOUD_OPS_REFUSED: the Cloud Ops API refused our credentials.'),
    503: errorResponse(
      'CLOUD_OPS_UNAVAILABLE or CLOUD_OPS_BUDGET_UNAVAILABLE (no worker ran the read in time): try again later.',
    ),
    ...CommonErrorResponses,
  },
};

import { Type, type Static } from 'typebox';
import { GROUP_BYS, MAX_REPORT_DAYS } from '../../../reports/service.js';
import { CommonErrorResponses, errorResponse, rfc3339 } from '../../schemas.js';

export const TruHoursQuerySchema = Type.Object(
  {
    from: rfc3339('Start of the range (inclusive), RFC 3339.'),
    to: rfc3339(`End of the range (exclusive), RFC 3339; after from, at most ${MAX_REPORT_DAYS} days later.`),
    groupBy: Type.Enum(GROUP_BYS, { default: 'namespace', description: 'What the groups are.' }),
  },
  { additionalProperties: false },
);
export type TruHoursQuery = Static<typeof TruHoursQuerySchema>;

const figures = {
  truHours: Type.Number({ minimum: 0, description: 'TRU-hours billed under the hourly rule, attributed; 6 decimals.' }),
  usedTruHours: Type.Number({ minimum: 0, description: 'TRUs x hours the namespace had them, attributed; 6 decimals.' }),
  windows: Type.Integer({ minimum: 0, description: 'Windows with TRU-hours in the range.' }),
};

export const TruHoursReportSchema = Type.Object(
  {
    from: rfc3339(),
    to: rfc3339(),
    groupBy: Type.Enum(GROUP_BYS),
    billingRule: Type.String({ description: 'How truHours are computed.' }),
    attributionRule: Type.String({ description: 'How a namespace\'s TRUs are split among its windows.' }),
    groups: Type.Array(
      Type.Object(
        {
          key: Type.Union([Type.String(), Type.Null()], {
            description: 'The namespace, requestedBy or scheduleId (null: none, e.g. windows no schedule started).',
          }),
          ...figures,
        },
        { additionalProperties: false },
      ),
    ),
    totals: Type.Object(figures, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const truHoursSchema = {
  summary: 'TRU-hours per namespace, requester or schedule',
  description:
    'TRU-hours of the windows in [from, to), from Temporal visibility (every page), grouped. The rules are stated in ' +
    'the answer (billingRule, attributionRule) and in docs/api.md. A caller limited to some namespaces sees only ' +
    'those. `Accept: text/csv` answers the groups as CSV (a header row, then one row per group).',
  tags: ['reports'],
  querystring: TruHoursQuerySchema,
  produces: ['application/json', 'text/csv'],
  response: {
    200: {
      description: 'The report.',
      content: {
        'application/json': { schema: TruHoursReportSchema },
        'text/csv': {
          schema: Type.String({ description: 'groupBy,truHours,usedTruHours,windows then one row per group.' }),
        },
      },
    },
    400: errorResponse('VALIDATION_FAILED: from or to missing or not RFC 3339, an unknown groupBy or parameter.'),
    422: errorResponse(
      `INVALID_TIME_RANGE (to not after from) or TIME_RANGE_TOO_LONG (more than ${MAX_REPORT_DAYS} days).`,
      ['INVALID_TIME_RANGE', 'TIME_RANGE_TOO_LONG'],
    ),
    503: errorResponse('TEMPORAL_UNAVAILABLE: try again later.'),
    ...CommonErrorResponses,
  },
};

import { Type, type Static } from 'typebox';
import { SCHEDULE_ID_PATTERN } from '../../../shared/index.js';
import { CommonErrorResponses, NamespaceIdSchema, Rfc3339Schema, errorResponse, rfc3339 } from '../../schemas.js';
import { PhaseSchema, StatusSchema, TruHoursFields } from './schema.js';

/** Workflow statuses a listing can filter on (the API's names; Temporal visibility spells them its own way). */
export const LISTABLE_STATUSES = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'TIMED_OUT',
  'CONTINUED_AS_NEW',
] as const;
export type ListableStatus = (typeof LISTABLE_STATUSES)[number];

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Who asked, as a filter: a conservative charset (letters, digits, space and . _ @ + : / -). No quote or backslash
 * can reach the visibility query through it, and the query builder escapes every literal anyway.
 */
export const REQUESTED_BY_FILTER_PATTERN = '^[A-Za-z0-9 ._@+:/-]{1,200}$';

// Fastify's Ajv does not coerce types (a capacity request must be exactly what was meant), so the querystring
// takes pageSize as a string of digits and the route converts it.
export const ListCapacityChangesQuerySchema = Type.Object(
  {
    namespace: Type.Optional(NamespaceIdSchema),
    status: Type.Optional(
      Type.Enum(LISTABLE_STATUSES, { description: 'Status of the workflow execution behind the window.' }),
    ),
    phase: Type.Optional(
      Type.Enum(PhaseSchema.enum, {
        description:
          'Phase of the window, as its status shows it (a workflow that died before finishing counts as FAILED).',
      }),
    ),
    requestedBy: Type.Optional(
      Type.String({
        pattern: REQUESTED_BY_FILTER_PATTERN,
        description: 'Exact requestedBy of the window (letters, digits, space, . _ @ + : / -).',
      }),
    ),
    scheduleId: Type.Optional(
      Type.String({ pattern: SCHEDULE_ID_PATTERN, description: 'Windows started by this capacity schedule.' }),
    ),
    from: Type.Optional(rfc3339('Windows starting at or after this RFC 3339 instant.')),
    to: Type.Optional(rfc3339('Windows starting at or before this RFC 3339 instant.')),
    endAfter: Type.Optional(
      rfc3339(
        'Windows not over by this RFC 3339 instant: ending after it, permanent (endAt null) or still running. ' +
          'With `to`, the windows that overlap [endAfter, to], whenever they started.',
      ),
    ),
    pageSize: Type.String({
      pattern: `^(${MAX_PAGE_SIZE}|[1-9][0-9]?)$`,
      default: String(DEFAULT_PAGE_SIZE),
      description: `Windows per page, 1 to ${MAX_PAGE_SIZE}.`,
      examples: ['20'],
    }),
    pageToken: Type.Optional(
      Type.String({ description: 'nextPageToken of the previous page, with the same filters.' }),
    ),
  },
  { additionalProperties: false },
);
export type ListCapacityChangesQuery = Static<typeof ListCapacityChangesQuerySchema>;

export const CapacityChangeSummarySchema = Type.Object(
  {
    id: Type.String({ description: 'Window id, readable at /v1/capacity-changes/{id}.' }),
    namespace: NamespaceIdSchema,
    trus: Type.Integer(),
    status: StatusSchema,
    phase: PhaseSchema,
    startAt: Rfc3339Schema,
    endAt: Type.Union([Rfc3339Schema, Type.Null()], { description: 'null: a permanent change.' }),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
    scheduleId: Type.Union([Type.String(), Type.Null()], {
      description: 'The capacity schedule that started this window, if any.',
    }),
    ...TruHoursFields,
    links: Type.Object({ self: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type CapacityChangeSummary = Static<typeof CapacityChangeSummarySchema>;

export const CapacityChangeListSchema = Type.Object(
  {
    items: Type.Array(CapacityChangeSummarySchema),
    nextPageToken: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as pageToken for the next page; null on the last page.',
    }),
  },
  { additionalProperties: false },
);
export type CapacityChangeList = Static<typeof CapacityChangeListSchema>;

export const listSchema = {
  summary: 'List capacity windows',
  description:
    'Windows past and present, whether the API or a capacity schedule started them, read from Temporal visibility ' +
    '(custom search attributes); the filters combine with AND. Visibility is eventually consistent: a window just ' +
    'started, or a phase just changed, can take a moment to show. Running windows first, then the most recently ' +
    'closed. Each item is a summary; ' +
    'links.self has the steps and the result.',
  tags: ['capacity-changes'],
  querystring: ListCapacityChangesQuerySchema,
  response: {
    200: CapacityChangeListSchema,
    400: errorResponse('VALIDATION_FAILED: a malformed filter, an unknown parameter, pageSize outside 1..100.'),
    422: errorResponse(
      'INVALID_PAGE_TOKEN (not a nextPageToken of this listing with these filters) or INVALID_TIME_RANGE (from after to).',
      ['INVALID_PAGE_TOKEN', 'INVALID_TIME_RANGE'],
    ),
    503: errorResponse('TEMPORAL_UNAVAILABLE: try again later.'),
    ...CommonErrorResponses,
  },
};

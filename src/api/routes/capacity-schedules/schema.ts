import { Type, type Static } from 'typebox';
import { SCHEDULE_ID_PATTERN } from '../../../shared/index.js';
import { ERROR_CODE_KEY } from '../../plugins/errors.js';
import {
  AuditEntrySchema,
  CommonErrorResponses,
  NamespaceIdSchema,
  Rfc3339Schema,
  TruCountSchema,
  errorResponse,
  exactlyOne,
  fieldRule,
  isoDuration,
  rfc3339,
} from '../../schemas.js';

const OVERLAP_POLICY =
  'Each run is a normal capacity window that ends at its own scheduled start + `duration`, even when it started late. ' +
  'Overlap policy: a run due while the previous window of the same schedule is still active is skipped and counted in ' +
  '`actionsSkipped`; a duration that would make consecutive runs overlap is refused with 422. A run that could not start ' +
  'before its window would have ended is skipped too.';

const DurationSchema = isoDuration(
  'ISO 8601 duration of each window, counted from its scheduled start (weeks, days, hours, minutes, seconds: "PT10H").',
);

const CronSchema = Type.String({
  maxLength: 200,
  pattern: '^[0-9A-Za-z*,/-]+(?: [0-9A-Za-z*,/-]+){4}$',
  [ERROR_CODE_KEY]: 'INVALID_CRON',
  description:
    '5-field cron: minute hour day-of-month month day-of-week, read in `timezone`. Exclusive with interval and at.',
  examples: ['0 8 * * 1-5'],
});

const IntervalSchema = Type.Object(
  {
    every: isoDuration('ISO 8601 duration between runs, counted from the Unix epoch ("PT6H").'),
    offset: Type.Optional(isoDuration('ISO 8601 duration added to each multiple of every.', { zero: true })),
  },
  { additionalProperties: false, description: 'Runs at epoch + n × every + offset. Exclusive with cron and at.' },
);

const AtSchema = rfc3339(
  'One-off: the RFC 3339 instant (in the future) of a single window. Exclusive with cron and interval.',
);
const TimeZoneSchema = Type.String({
  maxLength: 64,
  description: 'IANA time zone the cron is read in. Default "UTC".',
  examples: ['Europe/Berlin'],
});
const NoteSchema = Type.String({
  maxLength: 500,
  description: 'Free text shown on the schedule; pause and unpause replace it.',
});

const OFFICE_HOURS = {
  id: 'office-hours',
  namespace: 'payments.a1b2c',
  trus: 4,
  duration: 'PT10H',
  cron: '0 8 * * 1-5',
  timezone: 'Europe/Berlin',
};
const LAUNCH = {
  id: 'spring-launch',
  namespace: 'payments.a1b2c',
  trus: 8,
  duration: 'PT4H',
  at: '2027-04-13T12:00:00Z',
  reason: 'Spring launch',
};

export const CreateCapacityScheduleSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: SCHEDULE_ID_PATTERN,
        description: 'Slug naming the schedule. Default: "<namespace name>-<6 hex>".',
      }),
    ),
    namespace: NamespaceIdSchema,
    trus: TruCountSchema,
    duration: DurationSchema,
    cron: Type.Optional(CronSchema),
    interval: Type.Optional(IntervalSchema),
    at: Type.Optional(AtSchema),
    timezone: Type.Optional(TimeZoneSchema),
    startAt: Type.Optional(rfc3339('No run is scheduled before this RFC 3339 instant.')),
    endAt: Type.Optional(
      rfc3339('No run is scheduled after this RFC 3339 instant (a running window still ends on time).'),
    ),
    paused: Type.Optional(Type.Boolean({ description: 'Create the schedule paused.' })),
    note: Type.Optional(NoteSchema),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why; shown in alerts and on every window.' })),
    acknowledgeShortWindow: Type.Optional(
      Type.Boolean({
        description: 'Go ahead with runs shorter than the configured minimum window (TRUs are billed by the hour).',
      }),
    ),
  },
  {
    additionalProperties: false,
    allOf: [
      fieldRule(
        'INVALID_SCHEDULE_SPEC',
        'give exactly one of cron, interval or at',
        exactlyOne('cron', 'interval', 'at'),
      ),
    ],
    description: 'Give exactly one of cron, interval or at.',
    examples: [OFFICE_HOURS, LAUNCH],
  },
);
export type CreateCapacitySchedule = Static<typeof CreateCapacityScheduleSchema>;

const nullable = <T extends ReturnType<typeof rfc3339>>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });

export const PatchCapacityScheduleSchema = Type.Object(
  {
    trus: Type.Optional(TruCountSchema),
    duration: Type.Optional(DurationSchema),
    cron: Type.Optional(CronSchema),
    interval: Type.Optional(IntervalSchema),
    at: Type.Optional(AtSchema),
    timezone: Type.Optional(TimeZoneSchema),
    startAt: Type.Optional(nullable(rfc3339(), 'New lower bound of the schedule; null removes it.')),
    endAt: Type.Optional(nullable(rfc3339(), 'New upper bound of the schedule; null removes it.')),
    note: Type.Optional(NoteSchema),
  },
  {
    additionalProperties: false,
    allOf: [
      fieldRule('INVALID_SCHEDULE_SPEC', 'give at most one of cron, interval or at', {
        not: {
          anyOf: [{ required: ['cron', 'interval'] }, { required: ['cron', 'at'] }, { required: ['interval', 'at'] }],
        },
      }),
    ],
    description: 'Only the fields given change. One of cron, interval or at replaces the current spec kind.',
    examples: [{ trus: 6, duration: 'PT9H' }, { cron: '0 7 * * 1-5' }],
  },
);
export type PatchCapacitySchedule = Static<typeof PatchCapacityScheduleSchema>;

export const NoteBodySchema = Type.Object(
  { note: Type.Optional(NoteSchema) },
  {
    additionalProperties: false,
    description: 'Optional: the request may have no body.',
    examples: [{ note: 'holidays' }],
  },
);
export type NoteBody = Static<typeof NoteBodySchema>;

const LinksSchema = Type.Object({ self: Type.String() }, { additionalProperties: false });
const NextActionTimesSchema = Type.Array(Rfc3339Schema, {
  description: 'The next (up to 5) scheduled starts: the run times asked for, not the earlier times the change begins.',
});
const LeadFields = {
  leadApplied: Type.Boolean({
    description:
      'true: each run begins its change PROVISIONING_LEAD before its run time, so that its capacity is in place then.',
  }),
  leadNotAppliedReason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the lead is not applied (each run then begins its change at its run time); null when it is.',
  }),
};

export const CapacityScheduleCreatedSchema = Type.Object(
  { id: Type.String(), nextActionTimes: NextActionTimesSchema, ...LeadFields, links: LinksSchema },
  { additionalProperties: false, description: 'The schedule exists; follow links.self for its state.' },
);
export type CapacityScheduleCreated = Static<typeof CapacityScheduleCreatedSchema>;

const RecentActionSchema = Type.Object(
  {
    scheduledAt: Rfc3339Schema,
    startedAt: Rfc3339Schema,
    changeId: Type.String({ description: 'Window id, readable at GET /v1/capacity-changes/{changeId}.' }),
  },
  { additionalProperties: false },
);

export const CapacityScheduleSchema = Type.Object(
  {
    id: Type.String(),
    namespace: NamespaceIdSchema,
    trus: Type.Integer(),
    duration: Type.String(),
    cron: Type.Optional(Type.String()),
    interval: Type.Optional(IntervalSchema),
    at: Type.Optional(Rfc3339Schema),
    timezone: Type.String(),
    startAt: Type.Union([Rfc3339Schema, Type.Null()]),
    endAt: Type.Union([Rfc3339Schema, Type.Null()]),
    paused: Type.Boolean(),
    note: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    nextActionTimes: NextActionTimesSchema,
    ...LeadFields,
    recentActions: Type.Array(RecentActionSchema, { description: 'The latest runs, oldest first.' }),
    runningChangeIds: Type.Array(Type.String(), { description: 'Windows of this schedule still running.' }),
    actionsTaken: Type.Integer(),
    actionsSkipped: Type.Integer({
      description: 'Runs skipped because the previous window was still active, or too late to catch up.',
    }),
    audit: Type.Array(AuditEntrySchema, {
      description: 'Who created, changed, paused, unpaused or triggered the schedule, oldest first (the last 50).',
    }),
    links: LinksSchema,
  },
  { additionalProperties: false },
);
export type CapacitySchedule = Static<typeof CapacityScheduleSchema>;

const ScheduleSummarySchema = Type.Object(
  {
    id: Type.String(),
    namespace: NamespaceIdSchema,
    trus: Type.Integer(),
    duration: Type.String(),
    paused: Type.Boolean(),
    nextActionTime: Type.Union([Rfc3339Schema, Type.Null()]),
  },
  { additionalProperties: false },
);

export const CapacityScheduleListSchema = Type.Object(
  { items: Type.Array(ScheduleSummarySchema) },
  { additionalProperties: false },
);
export type CapacityScheduleList = Static<typeof CapacityScheduleListSchema>;

export const ScheduleTriggeredSchema = Type.Object(
  { id: Type.String(), triggeredAt: Rfc3339Schema },
  { additionalProperties: false, description: 'A window is starting now; it shows in recentActions shortly.' },
);
export type ScheduleTriggered = Static<typeof ScheduleTriggeredSchema>;

export const ScheduleIdParamsSchema = Type.Object({
  id: Type.String({ maxLength: 200, description: 'Schedule id (a slug).' }),
});

export const DeleteQuerySchema = Type.Object(
  {
    cancelRunning: Type.Optional(
      Type.Enum(['true', 'false'], {
        description: 'true: also end the running windows of this schedule (they revert at once).',
      }),
    ),
  },
  { additionalProperties: false },
);

const TAGS = ['capacity-schedules'];
const NOT_FOUND = errorResponse('SCHEDULE_NOT_FOUND: no schedule with this id.');
const TEMPORAL_DOWN = errorResponse('TEMPORAL_UNAVAILABLE: try again later.');
const INVALID = errorResponse(
  'VALIDATION_FAILED, INVALID_JSON, INVALID_SCHEDULE_SPEC (not exactly one of cron, interval, at; at most one in a ' +
    'PATCH), INVALID_DURATION (not a positive ISO 8601 duration) or INVALID_CRON (not 5 fields).',
);
const UNPROCESSABLE = errorResponse(
  'A valid request refused for what it means: AT_NOT_IN_FUTURE, DURATION_OVERLAPS_NEXT_RUN (a window would still run ' +
    'when the next is due), INVALID_CRON (a value out of range, or both day-of-month and day-of-week restricted), ' +
    'INVALID_TIME_ZONE (not in the tz database), INVALID_INTERVAL (offset not shorter than every), ' +
    'INVALID_SCHEDULE_BOUNDS (endAt not after startAt), TRU_VALUE_NOT_ALLOWED or TRU_VALUE_UNAVAILABLE, or a guardrail: ' +
    'NAMESPACE_NOT_ALLOWED, NAMESPACE_DENIED, TRUS_ABOVE_LIMIT, WINDOW_TOO_LONG, WINDOW_TOO_SHORT.',
  [
    'AT_NOT_IN_FUTURE',
    'DURATION_OVERLAPS_NEXT_RUN',
    'INVALID_CRON',
    'INVALID_TIME_ZONE',
    'INVALID_INTERVAL',
    'INVALID_SCHEDULE_BOUNDS',
    'TRU_VALUE_NOT_ALLOWED',
    'TRU_VALUE_UNAVAILABLE',
    'NAMESPACE_NOT_ALLOWED',
    'NAMESPACE_DENIED',
    'TRUS_ABOVE_LIMIT',
    'WINDOW_TOO_LONG',
    'WINDOW_TOO_SHORT',
  ],
);
const CLOUD_OPS_ERRORS = {
  502: errorResponse('CLOUD_OPS_REFUSED or CLOUD_OPS_ERROR: the Cloud Ops API could not check the TRU value.'),
  503: errorResponse(
    'TEMPORAL_UNAVAILABLE, CLOUD_OPS_UNAVAILABLE or CLOUD_OPS_BUDGET_UNAVAILABLE (no worker ran the read in time): try again later.',
  ),
};

export const createSchema = {
  summary: 'Create a capacity schedule',
  description:
    'A Temporal Schedule that starts a capacity window of `trus` TRUs for `duration` at every time of `cron` (in ' +
    '`timezone`), of `interval`, or once `at` an instant. The spec, the time zone, the duration and the TRU value are ' +
    `checked before anything is created. ${OVERLAP_POLICY} Answers 201 with the next scheduled starts.`,
  tags: TAGS,
  body: CreateCapacityScheduleSchema,
  response: {
    201: CapacityScheduleCreatedSchema,
    400: INVALID,
    404: errorResponse('NAMESPACE_NOT_FOUND: the Cloud Ops API does not know the namespace.'),
    409: errorResponse('SCHEDULE_ALREADY_EXISTS: a schedule with this id exists.'),
    413: errorResponse('PAYLOAD_TOO_LARGE: the body exceeds 64 KiB.'),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json.'),
    422: UNPROCESSABLE,
    ...CLOUD_OPS_ERRORS,
    ...CommonErrorResponses,
  },
};

export const listSchema = {
  summary: 'List capacity schedules',
  description: 'Every capacity schedule with its namespace, TRUs, duration, paused state and next scheduled start.',
  tags: TAGS,
  response: { 200: CapacityScheduleListSchema, 503: TEMPORAL_DOWN, ...CommonErrorResponses },
};

export const getSchema = {
  summary: 'Read a capacity schedule',
  description:
    'The schedule in the form it was written (cron, interval or at), its state, the next 5 scheduled starts, the latest ' +
    `runs with their window ids, the windows still running, and how many runs were taken and skipped. ${OVERLAP_POLICY}`,
  tags: TAGS,
  params: ScheduleIdParamsSchema,
  response: { 200: CapacityScheduleSchema, 404: NOT_FOUND, 503: TEMPORAL_DOWN, ...CommonErrorResponses },
};

export const patchSchema = {
  summary: 'Change a capacity schedule',
  description:
    'Changes the TRUs, the duration, the spec (one of cron, interval or at replaces the current kind), the time zone, the ' +
    'bounds or the note. The merged schedule is checked like a new one; a new TRU value is checked against the namespace. ' +
    'Windows already running keep their TRUs and end; later runs use the new values.',
  tags: TAGS,
  params: ScheduleIdParamsSchema,
  body: PatchCapacityScheduleSchema,
  response: {
    200: CapacityScheduleSchema,
    400: INVALID,
    404: errorResponse('SCHEDULE_NOT_FOUND or NAMESPACE_NOT_FOUND.'),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json.'),
    422: UNPROCESSABLE,
    ...CLOUD_OPS_ERRORS,
    ...CommonErrorResponses,
  },
};

const stateChange = (summary: string, description: string) => ({
  summary,
  description,
  tags: TAGS,
  params: ScheduleIdParamsSchema,
  body: NoteBodySchema,
  response: {
    200: CapacityScheduleSchema,
    400: errorResponse('VALIDATION_FAILED or INVALID_JSON.'),
    404: NOT_FOUND,
    503: TEMPORAL_DOWN,
    ...CommonErrorResponses,
  },
});

export const pauseSchema = stateChange(
  'Pause a capacity schedule',
  'No new run starts until unpaused; a window already running still ends on time. The optional note (e.g. "holidays") replaces the schedule note.',
);

export const unpauseSchema = stateChange(
  'Unpause a capacity schedule',
  'Runs start again from the next scheduled time; runs missed while paused are not made up. The optional note replaces the schedule note.',
);

export const triggerSchema = {
  summary: 'Start a window of a schedule now',
  description:
    'Starts one window of this schedule now, for its duration, whether the schedule is paused or not. Refused with 409 ' +
    'while a window of this schedule is running, so that a manual run never stacks on a scheduled one.',
  tags: TAGS,
  params: ScheduleIdParamsSchema,
  response: {
    202: ScheduleTriggeredSchema,
    404: NOT_FOUND,
    409: errorResponse('WINDOW_ALREADY_RUNNING: a window of this schedule is running.'),
    503: TEMPORAL_DOWN,
    ...CommonErrorResponses,
  },
};

export const deleteSchema = {
  summary: 'Delete a capacity schedule',
  description:
    'No new run starts. Windows already running continue to their end, unless `cancelRunning=true`: then each is cancelled ' +
    'and reverts the namespace to On-Demand at once.',
  tags: TAGS,
  params: ScheduleIdParamsSchema,
  querystring: DeleteQuerySchema,
  response: {
    204: Type.Null({ description: 'Deleted.' }),
    400: errorResponse('VALIDATION_FAILED: cancelRunning is "true" or "false".'),
    404: NOT_FOUND,
    503: TEMPORAL_DOWN,
    ...CommonErrorResponses,
  },
};

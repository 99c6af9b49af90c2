import { Type, type Static } from 'typebox';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
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

const PHASES = [
  'SCHEDULED',
  'PENDING',
  'APPLYING',
  'VERIFYING',
  'ACTIVE',
  'REVERTING',
  'REVERT_VERIFYING',
  'COMPLETED',
  'FAILED',
] as const;
const STATUSES = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'TIMED_OUT',
  'CONTINUED_AS_NEW',
  'PAUSED',
  'UNSPECIFIED',
  'UNKNOWN',
] as const satisfies readonly WorkflowExecutionStatusName[];
const STEPS = ['VALIDATE', 'BUDGET', 'APPLY', 'VERIFY', 'WAIT', 'CANCEL', 'REVERT', 'REVERT_VERIFY', 'DRIFT'] as const;

export const PhaseSchema = Type.Enum(PHASES, {
  description:
    'Where the window is in its life: SCHEDULED (a future start) → PENDING → APPLYING → VERIFYING → ACTIVE → REVERTING → REVERT_VERIFYING → COMPLETED, or FAILED.',
});
export const StatusSchema = Type.Enum(STATUSES, {
  description: 'Status of the Temporal workflow execution behind the window.',
});

export const CreateCapacityChangeSchema = Type.Object(
  {
    namespace: NamespaceIdSchema,
    trus: TruCountSchema,
    duration: Type.Optional(
      isoDuration(
        'ISO 8601 duration from the start (now, or startAt) in weeks, days, hours, minutes, seconds: "PT2H", "P1DT30M". Exclusive with endAt.',
      ),
    ),
    startAt: Type.Optional(
      rfc3339(
        'RFC 3339 instant in the future at which the window begins; the window exists (phase SCHEDULED) from the request on. Default: now.',
      ),
    ),
    endAt: Type.Optional(
      rfc3339('RFC 3339 instant (with a time zone) at which to revert to On-Demand. Exclusive with duration.'),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why; shown in alerts and in the window.' })),
    requestedBy: Type.Optional(Type.String({ maxLength: 200, description: 'Who asked, for the audit trail.' })),
    acknowledgeShortWindow: Type.Optional(
      Type.Boolean({
        description: 'Go ahead with a window shorter than the configured minimum (TRUs are billed by the hour).',
      }),
    ),
    revertTo: Type.Optional(
      Type.Enum(['BASELINE', 'ON_DEMAND'], {
        description:
          'What the namespace returns to at the end: the capacity it had before the window (default), or On-Demand.',
      }),
    ),
  },
  {
    additionalProperties: false,
    allOf: [
      fieldRule('CONFLICTING_END', 'give either duration or endAt, not both', {
        not: { required: ['duration', 'endAt'] },
      }),
    ],
    description: 'Without duration and endAt the change is permanent: the namespace stays provisioned.',
    examples: [
      { namespace: 'payments.a1b2c', trus: 4, duration: 'PT2H', reason: 'Black Friday peak' },
      {
        namespace: 'payments.a1b2c',
        trus: 8,
        startAt: '2027-03-02T14:00:00+01:00',
        duration: 'PT4H',
        reason: 'Product launch',
      },
    ],
  },
);
export type CreateCapacityChange = Static<typeof CreateCapacityChangeSchema>;

const LinksSchema = Type.Object({ self: Type.String() }, { additionalProperties: false });

export const CapacityChangeAcceptedSchema = Type.Object(
  {
    id: Type.String({
      description: 'Window id: "<namespace>_<nonce>~<run id>", or "key-<key hash>~<run id>" with an Idempotency-Key.',
    }),
    status: Type.Literal('RUNNING'),
    phase: Type.Enum(['PENDING', 'SCHEDULED']),
    links: LinksSchema,
  },
  {
    additionalProperties: false,
    description: 'The window exists (SCHEDULED when it begins later); follow links.self for its progress.',
  },
);
export type CapacityChangeAccepted = Static<typeof CapacityChangeAcceptedSchema>;

export const CapacityChangeReplayedSchema = Type.Object(
  {
    id: Type.String({ description: 'The window the Idempotency-Key made.' }),
    status: StatusSchema,
    phase: PhaseSchema,
    links: LinksSchema,
  },
  {
    additionalProperties: false,
    description: 'A retry with the same Idempotency-Key and body: the original window, with its status and phase now.',
  },
);
export type CapacityChangeReplayed = Static<typeof CapacityChangeReplayedSchema>;

export const CapacityChangeCancelAcceptedSchema = Type.Object(
  {
    id: Type.String({ description: 'The window id.' }),
    status: Type.Literal('RUNNING'),
    phase: Type.Enum(PHASES, {
      description:
        'The phase the window was in when it took the cancel: not started yet, it ends untouched; later, it reverts now.',
    }),
    links: LinksSchema,
  },
  {
    additionalProperties: false,
    description: 'The window took the cancel; follow links.self for the revert and the result.',
  },
);
export type CapacityChangeCancelAccepted = Static<typeof CapacityChangeCancelAcceptedSchema>;

const StepSchema = Type.Object(
  {
    step: Type.Enum(STEPS),
    outcome: Type.Enum(['STARTED', 'SUCCEEDED', 'FAILED']),
    at: Rfc3339Schema,
    detail: Type.Optional(Type.String()),
    asyncOperationId: Type.Optional(Type.String()),
    by: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: 'Who caused this step (cancel, end moved).' }),
    ),
    requestId: Type.Optional(Type.String({ description: 'The API request that caused this step.' })),
  },
  { additionalProperties: false },
);

const RevertBlockedSchema = Type.Object(
  { since: Rfc3339Schema, attempts: Type.Integer(), lastError: Type.String() },
  { additionalProperties: false, description: 'The revert keeps failing: the namespace may still be provisioned.' },
);

const CapacityTargetSchema = Type.Object(
  {
    mode: Type.Enum(['ON_DEMAND', 'PROVISIONED']),
    trus: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const DriftSchema = Type.Object(
  {
    expected: CapacityTargetSchema,
    found: CapacityTargetSchema,
    at: Rfc3339Schema,
    policy: Type.Enum(['respect', 'enforce'], { description: 'DRIFT_POLICY of the namespace controller.' }),
  },
  {
    additionalProperties: false,
    description:
      'The namespace was changed outside the scheduler (the Cloud UI, tcld, Terraform): what its controller had verified, what it found, when, and what the policy made of it.',
  },
);

/** TRU-hours of one window (GET /v1/reports/tru-hours states the rules). */
export const TruHoursFields = {
  truHours: Type.Number({
    minimum: 0,
    description:
      "TRU-hours billed under the hourly rule (each clock hour the namespace was provisioned, at that hour's highest TRU level), attributed to this window in proportion to its use in each hour; 6 decimals.",
  }),
  usedTruHours: Type.Number({
    minimum: 0,
    description:
      "TRUs x hours the namespace really had them while this window's claim held (from Cloud Ops' finish time of its change to that of its revert), shared with overlapping windows by TRU layer; 6 decimals. 0: the claim never took effect.",
  }),
};

const ResultSchema = Type.Object(
  {
    initialChangeSuccess: Type.Boolean(),
    verificationSuccess: Type.Boolean(),
    revertedToOnDemand: Type.Boolean(),
    revertVerificationSuccess: Type.Boolean(),
    errors: Type.Array(Type.String()),
    startedAt: Rfc3339Schema,
    verifiedAt: Type.Union([Rfc3339Schema, Type.Null()]),
    revertedAt: Type.Union([Rfc3339Schema, Type.Null()]),
    completedAt: Rfc3339Schema,
    applyOperationId: Type.Union([Type.String(), Type.Null()]),
    revertOperationId: Type.Union([Type.String(), Type.Null()]),
    baseline: Type.Union([CapacityTargetSchema, Type.Null()], {
      description: 'What the namespace had before the window.',
    }),
    reverted: Type.Boolean({ description: 'The namespace went back to revertedTo, verified.' }),
    revertedTo: Type.Union([CapacityTargetSchema, Type.Null()]),
    cancelled: Type.Union(
      [
        Type.Object(
          {
            by: Type.Union([Type.String(), Type.Null()]),
            reason: Type.Union([Type.String(), Type.Null()]),
            at: Rfc3339Schema,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Who ended the window early, and why.' },
    ),
    heldFrom: Type.Optional(
      rfc3339("When the claim took effect: Cloud Ops' finish time of the change (nothing to change: when answered)."),
    ),
    heldUntil: Type.Optional(rfc3339('When the release took effect, the same way.')),
    ...TruHoursFields,
  },
  { additionalProperties: false },
);

export const CapacityChangeSchema = Type.Object(
  {
    id: Type.String(),
    namespace: NamespaceIdSchema,
    trus: Type.Integer(),
    startAt: Rfc3339Schema,
    endAt: Type.Union([Rfc3339Schema, Type.Null()], { description: 'null: a permanent change.' }),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    scheduleId: Type.Union([Type.String(), Type.Null()], {
      description: 'The capacity schedule that started this window, if any.',
    }),
    status: StatusSchema,
    phase: PhaseSchema,
    steps: Type.Array(StepSchema),
    audit: Type.Array(AuditEntrySchema, {
      description: 'Who created the window, moved its end or cancelled it through the API, oldest first.',
    }),
    revertBlocked: Type.Union([RevertBlockedSchema, Type.Null()]),
    waitingFor: Type.Union([Type.String(), Type.Null()], {
      description:
        "What the window waits for now, e.g. the account's Cloud Ops budget (at most CLOUD_OPS_MAX_CONCURRENT_OPERATIONS changes in flight); null: nothing but its own steps.",
    }),
    namespaceCapacity: Type.Union(
      [
        Type.Object(
          {
            has: Type.Union([CapacityTargetSchema, Type.Null()], {
              description: 'null: unknown, after a change that could not be verified.',
            }),
            at: Rfc3339Schema,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        description:
          'What the namespace has now, as its controller last verified it: with overlapping windows, the largest TRU value among ' +
          'the active ones, which may be more than this window asked for. null until the controller first answered.',
      },
    ),
    drift: Type.Union([DriftSchema, Type.Null()], {
      description: 'The latest drift seen while this window held the namespace (a DRIFT step says more); null: none.',
    }),
    result: Type.Union([ResultSchema, Type.Null()], { description: 'Set once the workflow COMPLETED.' }),
    ...TruHoursFields,
    links: LinksSchema,
  },
  { additionalProperties: false },
);
export type CapacityChange = Static<typeof CapacityChangeSchema>;

export const WindowIdParamsSchema = Type.Object({
  id: Type.String({ description: 'Window id from POST /v1/capacity-changes.' }),
});
export type WindowIdParams = Static<typeof WindowIdParamsSchema>;

export const CancelCapacityChangeSchema = Type.Object(
  {
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why the window ends early.' })),
    requestedBy: Type.Optional(Type.String({ maxLength: 200, description: 'Who ends it.' })),
  },
  { additionalProperties: false, examples: [{ reason: 'launch moved to next week', requestedBy: 'alice' }] },
);
export type CancelCapacityChange = Static<typeof CancelCapacityChangeSchema>;

export const MoveEndSchema = Type.Object(
  {
    endAt: Type.Optional(rfc3339('New end of the window (RFC 3339, in the future). Exclusive with duration.')),
    duration: Type.Optional(isoDuration('New length of the window, counted from its start (ISO 8601).')),
  },
  {
    additionalProperties: false,
    allOf: [fieldRule('CONFLICTING_END', 'give exactly one of endAt and duration', exactlyOne('endAt', 'duration'))],
    examples: [{ endAt: '2027-03-02T20:00:00+01:00' }, { duration: 'PT6H' }],
  },
);
export type MoveEnd = Static<typeof MoveEndSchema>;

const TargetSchema = Type.Object(
  { mode: Type.Enum(['ON_DEMAND', 'PROVISIONED']), trus: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);

export const DryRunPlanSchema = Type.Object(
  {
    dryRun: Type.Literal(true),
    namespace: Type.String(),
    current: TargetSchema,
    changes: Type.Array(
      Type.Object({ at: Rfc3339Schema, to: TargetSchema, why: Type.String() }, { additionalProperties: false }),
      {
        description:
          'What would change and when: the raise at the start, the revert at the end (none for a permanent change).',
      },
    ),
    validation: Type.Object(
      {
        ok: Type.Boolean(),
        problems: Type.Array(
          Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false }),
        ),
      },
      {
        additionalProperties: false,
        description: 'What a real request would be refused for; empty when it would start.',
      },
    ),
    estimatedTruHours: Type.Union([Type.Number(), Type.Null()], {
      description:
        'TRUs × hours, each started hour counted whole (TRUs are billed by the hour); null for a permanent change.',
    }),
  },
  { additionalProperties: false, description: 'The plan of a dry run: nothing was started.' },
);
export type DryRunPlan = Static<typeof DryRunPlanSchema>;

const DryRunQuerySchema = Type.Object(
  {
    dryRun: Type.Optional(
      Type.Enum(['true', 'false'], { description: 'true: validate and answer the plan; start nothing.' }),
    ),
  },
  { additionalProperties: false },
);

const IdempotencyHeadersSchema = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Makes retries safe: the same key with the same body returns the same window (200), with another body 422.',
    }),
  ),
});

export const createSchema = {
  summary: 'Start a capacity window',
  description:
    'Gives the namespace `trus` TRUs now and puts it back (to its baseline) after `duration` or at `endAt` (at most one of ' +
    'them; with neither the change is permanent). The TRU value is checked against what the namespace accepts before ' +
    'anything starts. Windows may overlap on a namespace: it has the largest TRU value among its active windows, or its ' +
    'baseline when none is active. Answers 202 at once; follow the Location header for progress.',
  tags: ['capacity-changes'],
  headers: IdempotencyHeadersSchema,
  querystring: DryRunQuerySchema,
  body: CreateCapacityChangeSchema,
  response: {
    200: Type.Union([CapacityChangeReplayedSchema, DryRunPlanSchema], {
      description:
        'A dry run: the plan. Or a retry with the same Idempotency-Key and body: the original window, as it is now.',
    }),
    202: CapacityChangeAcceptedSchema,
    400: errorResponse(
      'VALIDATION_FAILED, INVALID_JSON, CONFLICTING_END (both duration and endAt) or INVALID_DURATION.',
    ),
    404: errorResponse('NAMESPACE_NOT_FOUND: the Cloud Ops API does not know the namespace.'),
    413: errorResponse('PAYLOAD_TOO_LARGE: the body exceeds 64 KiB.'),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: send application/json.'),
    422: errorResponse(
      'A valid request refused for what it means now: START_NOT_IN_FUTURE, END_NOT_IN_FUTURE, END_NOT_AFTER_START, ' +
        'TRU_VALUE_NOT_ALLOWED or TRU_VALUE_UNAVAILABLE (the message lists the valid values), IDEMPOTENCY_KEY_REUSED (the ' +
        'key came with another body), REQUESTED_BY_FROM_TOKEN (with a token, requestedBy is its name), or a guardrail: ' +
        'NAMESPACE_NOT_ALLOWED, NAMESPACE_DENIED, TRUS_ABOVE_LIMIT, WINDOW_TOO_LONG, WINDOW_TOO_SHORT.',
      [
        'START_NOT_IN_FUTURE',
        'END_NOT_IN_FUTURE',
        'END_NOT_AFTER_START',
        'TRU_VALUE_NOT_ALLOWED',
        'TRU_VALUE_UNAVAILABLE',
        'IDEMPOTENCY_KEY_REUSED',
        'REQUESTED_BY_FROM_TOKEN',
        'NAMESPACE_NOT_ALLOWED',
        'NAMESPACE_DENIED',
        'TRUS_ABOVE_LIMIT',
        'WINDOW_TOO_LONG',
        'WINDOW_TOO_SHORT',
      ],
    ),
    502: errorResponse('CLOUD_OPS_REFUSED: the Cloud Ops API refused our credentials.'),
    503: errorResponse(
      'TEMPORAL_UNAVAILABLE, CLOUD_OPS_UNAVAILABLE or CLOUD_OPS_BUDGET_UNAVAILABLE (no worker ran the read in time): try again later.',
    ),
    ...CommonErrorResponses,
  },
};

export const getSchema = {
  summary: 'Read a capacity window',
  description:
    'The window as its workflow execution reports it: phase, the steps taken so far, and the result once it completed. ' +
    'revertBlocked is set while putting the namespace back on On-Demand keeps failing.',
  tags: ['capacity-changes'],
  params: WindowIdParamsSchema,
  response: {
    200: CapacityChangeSchema,
    404: errorResponse('WINDOW_NOT_FOUND: no window with this id.'),
    503: errorResponse('TEMPORAL_UNAVAILABLE: try again later.'),
    ...CommonErrorResponses,
  },
};

export const cancelSchema = {
  summary: 'Cancel a capacity window',
  description:
    'Ends the window early. Not started yet: it ends without touching capacity. Active: the namespace goes back now ' +
    '(to its baseline, or On-Demand) and that is verified. The result records who cancelled it and why.',
  tags: ['capacity-changes'],
  params: WindowIdParamsSchema,
  body: CancelCapacityChangeSchema,
  response: {
    202: CapacityChangeCancelAcceptedSchema,
    404: errorResponse('WINDOW_NOT_FOUND: no window with this id.'),
    409: errorResponse('WINDOW_CLOSED: the window has already ended.'),
    422: errorResponse('REQUESTED_BY_FROM_TOKEN: with a token, requestedBy is its name.', ['REQUESTED_BY_FROM_TOKEN']),
    503: errorResponse('TEMPORAL_UNAVAILABLE: try again later.'),
    ...CommonErrorResponses,
  },
};

export const moveEndSchema = {
  summary: 'Extend or shorten a capacity window',
  description:
    "Moves the window's end, given as `endAt` or as a `duration` from its start. The window checks the new end itself " +
    '(a Temporal Update with a validator): it must be in the future and the window must not be reverting yet; otherwise ' +
    '422 and nothing changes. The durable timer moves, and the status shows the new end at once.',
  tags: ['capacity-changes'],
  params: WindowIdParamsSchema,
  body: MoveEndSchema,
  response: {
    200: CapacityChangeSchema,
    400: errorResponse(
      'VALIDATION_FAILED, INVALID_JSON, CONFLICTING_END (not exactly one of endAt, duration) or INVALID_DURATION.',
    ),
    404: errorResponse('WINDOW_NOT_FOUND: no window with this id.'),
    409: errorResponse('WINDOW_CLOSED: the window has already ended.'),
    422: errorResponse('END_REJECTED: the window refused the new end (the message says why).', ['END_REJECTED']),
    503: errorResponse(
      'TEMPORAL_UNAVAILABLE, or WINDOW_NOT_ANSWERING (its worker did not take the change in time; nothing changed): try again.',
    ),
    ...CommonErrorResponses,
  },
};

import { Type, type Static } from 'typebox';
import { NAMESPACE_ID_PATTERN } from '../../../shared/index.js';
import { CommonErrorResponses, errorResponse } from '../../schemas.js';

export const CheckSchema = Type.Object(
  {
    name: Type.String({ description: 'What was checked, e.g. "cloudOpsKey" or "namespace payments.a1b2c".' }),
    ok: Type.Boolean(),
    detail: Type.String({ description: 'What was found. Never a secret (no key, no webhook URL).' }),
    fix: Type.Union([Type.String(), Type.Null()], {
      description: 'What to do when ok is false: a setting to change or the exact command to run; null when ok.',
    }),
  },
  { additionalProperties: false },
);
export type Check = Static<typeof CheckSchema>;

export const DiagnosticsSchema = Type.Object(
  {
    ok: Type.Boolean({ description: 'true when every check passed.' }),
    checks: Type.Array(CheckSchema),
  },
  { additionalProperties: false },
);
export type Diagnostics = Static<typeof DiagnosticsSchema>;

const ONE_NAMESPACE = NAMESPACE_ID_PATTERN.replace(/^\^|\$$/g, '');

export const DiagnosticsQuerySchema = Type.Object(
  {
    namespace: Type.Optional(
      Type.String({
        pattern: `^${ONE_NAMESPACE}(,${ONE_NAMESPACE}){0,9}$`,
        description:
          'Up to 10 comma-separated namespace ids to check instead of the configured ones ' +
          '(GUARDRAIL_NAMESPACE_ALLOWLIST, else the emulated ones).',
        examples: ['payments.a1b2c,batch.a1b2c'],
      }),
    ),
    slackTest: Type.Optional(
      Type.Enum(['true', 'false'], {
        description:
          'true: post a visible test message to the Slack webhook. Otherwise an empty message is posted, which Slack ' +
          'refuses (400 no_text) without showing anything: enough to tell a live webhook from a revoked one.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DiagnosticsQuery = Static<typeof DiagnosticsQuerySchema>;

export const getDiagnosticsSchema = {
  summary: 'Preflight: is this setup ready for real changes?',
  description:
    'Checks, changing nothing: Temporal answers on the workflow namespace; our custom search attributes exist on it ' +
    '(with the command that adds the missing ones); the Cloud Ops key authenticates (GetCurrentIdentity); ' +
    'CLOUD_OPS_API_VERSION is one our schema decodes; for each configured or requested namespace, the key reads it ' +
    'and its capacity options and its role or namespace permission allows changing it (account owner or admin, or ' +
    'namespace admin or write); the Slack webhook answers. Always 200: ok says whether every check passed. ' +
    'It calls the Cloud Ops API (one call, plus two per namespace): a preflight, not a probe.',
  tags: ['health'],
  querystring: DiagnosticsQuerySchema,
  response: {
    200: DiagnosticsSchema,
    400: errorResponse(
      'VALIDATION_FAILED: namespace is not a comma-separated list of namespace ids, or slackTest not "true"/"false".',
    ),
    ...CommonErrorResponses,
  },
};

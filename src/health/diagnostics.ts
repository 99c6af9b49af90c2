// The preflight behind GET /v1/diagnostics, `capacityctl doctor` and the start-up checklist: each check says what
// it found and, when it fails, what to do. Nothing is changed: a namespace's rights are read, not tried.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from 'pino';
import { withTemporalDeadline } from '../api/plugins/errors.js';
import type { Check, Diagnostics } from '../api/routes/diagnostics/schema.js';
import type { IdentityMsg } from '../cloud-ops/client.js';
import { CloudOpsError } from '../cloud-ops/errors.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { checkNamespace } from '../guardrails.js';
import { searchAttributeRegistrations } from '../shared/search-attributes.js';
import {
  addSearchAttributesCommand,
  isTemporalCloudAddress,
  missingSearchAttributes,
  type SearchAttributeSpec,
} from '../temporal/search-attributes.js';
import { cloudOpsProblem, withTimeout } from './readiness.js';

const { Role } = proto.temporal.api.cloud.identity.v1.AccountAccess;
const { Permission } = proto.temporal.api.cloud.identity.v1.NamespaceAccess;

const CALL_TIMEOUT_MS = 5_000;

/** The cloud-api schema @temporalio/proto bundles, which decodes every answer. */
export const SCHEMA_API_VERSION = 'v0.17.0';
/** NamespaceSpec is unchanged from the bundled schema through this version (cloud-api, read 2026-12-06). */
export const NEWEST_SAFE_API_VERSION = 'v0.19.1';
/** GetNamespaceCapacityInfo exists from this version. */
export const OLDEST_API_VERSION = 'v0.11.0';

export interface DiagnosticsDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  capacity: CapacityReader;
}

export interface DiagnosticsRequest {
  /** Checked instead of the configured namespaces. */
  namespaces?: string[];
  /** Post a visible test message to Slack. */
  slackTest?: boolean;
}

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail, fix: null });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

/** "v0.19.1" as [0, 19, 1]; null when it is not of that form. */
function parseVersion(v: string): number[] | null {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? m.slice(1).map(Number) : null;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Whether the identity's account role or namespace permission allows changing the namespace, and which it is. */
export function mayChange(identity: IdentityMsg, namespace: string): { ok: boolean; because: string } {
  const spec = identity.serviceAccount?.spec ?? identity.user?.spec;
  const role = spec?.access?.accountAccess?.role;
  if (role === Role.ROLE_OWNER || role === Role.ROLE_ADMIN) {
    return { ok: true, because: `account role ${Role[role]!.replace('ROLE_', '').toLowerCase()}` };
  }
  const scoped = identity.serviceAccount?.spec?.namespaceScopedAccess;
  const access = scoped?.namespace === namespace ? scoped.access : spec?.access?.namespaceAccesses?.[namespace];
  const permission = access?.permission;
  if (permission === Permission.PERMISSION_ADMIN || permission === Permission.PERMISSION_WRITE) {
    return {
      ok: true,
      because: `namespace permission ${Permission[permission]!.replace('PERMISSION_', '').toLowerCase()}`,
    };
  }
  const has = permission ? `namespace permission ${Permission[permission]}` : 'no permission on it';
  return { ok: false, because: `the key has ${has} and account role ${role ? Role[role] : 'none'}` };
}

/** Every check, run at once, changing nothing. */
export class DiagnosticsService {
  constructor(private readonly deps: DiagnosticsDeps) {}

  async run(req: DiagnosticsRequest = {}): Promise<Diagnostics> {
    const { config } = this.deps;
    const namespaces =
      req.namespaces ?? config.guardrails.allow ?? (config.cloudOps.apiKey === null ? config.emulator.namespaces : []);
    const identity = this.identity();
    const checks = await Promise.all([
      this.temporal(),
      this.searchAttributes(),
      identity.then((r) => r.check),
      Promise.resolve(this.apiVersion()),
      ...(namespaces.length === 0
        ? [
            Promise.resolve(
              pass('namespaces', 'none configured (GUARDRAIL_NAMESPACE_ALLOWLIST unset): check one with ?namespace='),
            ),
          ]
        : namespaces.map((ns) => identity.then((r) => this.namespace(ns, r.identity)))),
      this.slack(req.slackTest === true),
    ]);
    return { ok: checks.every((c) => c.ok), checks };
  }

  private async temporal(): Promise<Check> {
    const { temporal, config } = this.deps;
    const namespace = config.temporal.namespace;
    try {
      await withTemporalDeadline(
        temporal,
        () => temporal.connection.workflowService.describeNamespace({ namespace }),
        CALL_TIMEOUT_MS,
      );
      return pass('temporal', `Temporal answers; namespace ${namespace} exists`);
    } catch (err) {
      return fail(
        'temporal',
        `Temporal did not describe namespace ${namespace}: ${errorText(err)}`,
        'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS or API key settings (TEMPORAL_API_KEY, TEMPORAL_TLS_*)',
      );
    }
  }

  private async searchAttributes(): Promise<Check> {
    const { temporal, config } = this.deps;
    const namespace = config.temporal.namespace;
    try {
      const res = await withTemporalDeadline(
        temporal,
        () => temporal.connection.operatorService.listSearchAttributes({ namespace }),
        CALL_TIMEOUT_MS,
      );
      const missing = missingSearchAttributes(res.customAttributes ?? {});
      if (missing.length === 0)
        return pass(
          'searchAttributes',
          `all ${Object.keys(searchAttributeRegistrations()).length} custom search attributes exist on ${namespace}`,
        );
      return fail(
        'searchAttributes',
        `missing on ${namespace}: ${missing.map((a) => a.name).join(', ')} (windows cannot be listed or started without them)`,
        fixCommand(config, missing),
      );
    } catch (err) {
      return fail(
        'searchAttributes',
        `could not list the search attributes of ${namespace}: ${errorText(err)}`,
        'check the Temporal connection (see the temporal check)',
      );
    }
  }

  private async identity(): Promise<{ check: Check; identity: IdentityMsg | null }> {
    try {
      const identity = await withTimeout(this.deps.capacity.identity(), CALL_TIMEOUT_MS);
      const who = identity.serviceAccount
        ? `service account ${identity.serviceAccount.spec?.name || identity.serviceAccount.id}`
        : identity.user
          ? `user ${identity.user.spec?.email || identity.user.id}`
          : 'an unnamed principal';
      return { check: pass('cloudOpsKey', `the Cloud Ops API accepts the key: ${who}`), identity };
    } catch (err) {
      const text = err instanceof CloudOpsError ? err.message : errorText(err);
      return {
        check: fail('cloudOpsKey', `${cloudOpsProblem(err)} (${text})`, cloudOpsFix(err)),
        identity: null,
      };
    }
  }

  private apiVersion(): Check {
    const { apiVersion } = this.deps.config.cloudOps;
    const v = parseVersion(apiVersion);
    const fix = `set CLOUD_OPS_API_VERSION between ${OLDEST_API_VERSION} and ${NEWEST_SAFE_API_VERSION}`;
    if (v === null) return fail('cloudOpsApiVersion', `${apiVersion} is not a version of the form vX.Y.Z`, fix);
    if (compareVersions(v, parseVersion(OLDEST_API_VERSION)!) < 0)
      return fail(
        'cloudOpsApiVersion',
        `${apiVersion} is older than ${OLDEST_API_VERSION}, the first with capacity info`,
        fix,
      );
    if (compareVersions(v, parseVersion(NEWEST_SAFE_API_VERSION)!) > 0)
      return fail(
        'cloudOpsApiVersion',
        `${apiVersion} is newer than what our schema (${SCHEMA_API_VERSION}, NamespaceSpec unchanged through ${NEWEST_SAFE_API_VERSION}) ` +
          'decodes: a spec field newer than it could be dropped on update',
        fix,
      );
    return pass(
      'cloudOpsApiVersion',
      `${apiVersion}: decoded with the ${SCHEMA_API_VERSION} schema, NamespaceSpec unchanged`,
    );
  }

  private async namespace(namespace: string, identity: IdentityMsg | null): Promise<Check> {
    const name = `namespace ${namespace}`;
    const outside = checkNamespace(this.deps.config.guardrails, namespace);
    if (outside)
      return fail(name, outside.message, 'add it to GUARDRAIL_NAMESPACE_ALLOWLIST, or remove it from the denylist');
    if (identity === null)
      return fail(name, 'not checked: the Cloud Ops key does not authenticate', 'see the cloudOpsKey check');
    try {
      const view = await withTimeout(this.deps.capacity.readCapacity(namespace), CALL_TIMEOUT_MS);
      const rights = mayChange(identity, namespace);
      const now = view.current.mode === 'PROVISIONED' ? `${view.current.trus} TRUs` : 'On-Demand';
      const found = `${now}, valid TRU values ${view.validTruValues.join(', ') || 'none'}`;
      if (!rights.ok)
        return fail(
          name,
          `readable (${found}), but ${rights.because}`,
          `give the key's service account the Admin or Write permission on ${namespace} (or the account Admin role)`,
        );
      return pass(name, `readable and changeable (${rights.because}); ${found}`);
    } catch (err) {
      const notFound = err instanceof CloudOpsError && err.kind === 'NOT_FOUND';
      return fail(
        name,
        notFound ? `the Cloud Ops API does not know ${namespace}` : `reading it failed: ${errorText(err)}`,
        notFound
          ? 'check the namespace id (<name>.<account>) and that the key belongs to its account'
          : cloudOpsFix(err),
      );
    }
  }

  private async slack(sendTest: boolean): Promise<Check> {
    const { webhookUrl, timeoutMs } = this.deps.config.slack;
    if (webhookUrl === null) return pass('slack', 'SLACK_WEBHOOK_URL unset: alerts are only logged');
    const body = sendTest
      ? { text: 'Capacity Scheduler preflight: a test message (capacityctl doctor --slack-test).' }
      : {};
    try {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = (await res.text()).slice(0, 100);
      // An empty message is refused by a live webhook with 400 no_text; a revoked one answers 403, 404 or 410.
      if (res.ok || (!sendTest && res.status === 400))
        return pass(
          'slack',
          sendTest ? 'the webhook accepted a test message' : `the webhook answers (HTTP ${res.status})`,
        );
      return fail(
        'slack',
        `the webhook answered HTTP ${res.status} ${answer}`,
        'check SLACK_WEBHOOK_URL (a revoked or mistyped webhook)',
      );
    } catch (err) {
      // fetch's error text can carry the URL, which is a secret: its name only.
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable';
      return fail('slack', `the webhook is ${why}`, 'check SLACK_WEBHOOK_URL and the network path to Slack');
    }
  }
}

/** The exact command that adds them, aimed at our Temporal (in local mode, the embedded dev server). */
function fixCommand(config: Config, missing: SearchAttributeSpec[]): string {
  const address = config.temporal.address ?? `127.0.0.1:${config.devServer.port}`;
  return addSearchAttributesCommand(
    isTemporalCloudAddress(address) ? 'cloud' : { address },
    config.temporal.namespace,
    missing,
  );
}

function cloudOpsFix(err: unknown): string {
  const kind = err instanceof CloudOpsError ? err.kind : 'UNAVAILABLE';
  if (kind === 'UNAUTHENTICATED') return 'set TEMPORAL_CLOUD_API_KEY to a valid, unexpired Cloud Ops API key';
  if (kind === 'PERMISSION_DENIED')
    return "give the key's service account the Admin or Write permission on the namespace";
  if (kind === 'INVALID_ARGUMENT')
    return `check CLOUD_OPS_API_VERSION (${OLDEST_API_VERSION} to ${NEWEST_SAFE_API_VERSION})`;
  return 'check CLOUD_OPS_ADDRESS and the network path to the Cloud Ops API';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

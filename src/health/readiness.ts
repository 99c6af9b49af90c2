// Readiness: whether this process reached Temporal and the Cloud Ops API at its last background check.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { withTemporalDeadline } from '../api/plugins/errors.js';
import type { Readiness } from '../api/routes/health/schema.js';
import { CloudOpsError } from '../cloud-ops/errors.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { ageSeconds, Refreshed } from './refreshed.js';

const PROBE_TIMEOUT_MS = 3_000;

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ReadinessDeps {
  temporal: Client;
  capacity: Pick<CapacityReader, 'identity'>;
  config: Config;
  logger: Logger;
}

/** What one check found: null when the dependency answered, else why not (no server text: /readyz is public). */
interface Facts {
  temporal: string | null;
  cloudOps: string | null;
}

/** Why a Cloud Ops call failed, in words that point at the setting to fix. */
export function cloudOpsProblem(err: unknown): string {
  const kind = err instanceof CloudOpsError ? err.kind : 'UNAVAILABLE';
  switch (kind) {
    case 'UNAUTHENTICATED':
      return 'Cloud Ops API: UNAUTHENTICATED, the API refused TEMPORAL_CLOUD_API_KEY';
    case 'PERMISSION_DENIED':
      return 'Cloud Ops API: PERMISSION_DENIED, the key may not read its own identity';
    case 'INVALID_ARGUMENT':
      return 'Cloud Ops API: INVALID_ARGUMENT, check CLOUD_OPS_API_VERSION';
    case 'UNAVAILABLE':
      return `Cloud Ops API: no answer within ${PROBE_TIMEOUT_MS / 1000} s or unreachable`;
    default:
      return `Cloud Ops API: ${kind}`;
  }
}

/**
 * Checks both dependencies every HEALTH_REFRESH_INTERVAL in the background; /readyz answers from the last check.
 * Cloud Ops counts as up only when an authenticated call (GetCurrentIdentity) succeeds.
 */
export class ReadinessProbe {
  private readonly checks: Refreshed<Facts>;

  constructor(private readonly deps: ReadinessDeps) {
    this.checks = new Refreshed(
      () => this.check(),
      deps.config.health.refreshIntervalMs,
      () => {},
    );
  }

  /** Checks in the background while the app runs; the app is ready once the first check ended. */
  bindTo(app: FastifyInstance): this {
    this.checks.bindTo(app, { waitForFirst: true });
    return this;
  }

  /** The last check's verdict, with its age; "unavailable" before the first one. */
  readiness(): Readiness {
    const last = this.checks.last;
    const facts = last?.value ?? { temporal: 'not checked yet', cloudOps: 'not checked yet' };
    const problems = [facts.temporal, facts.cloudOps].filter((p): p is string => p !== null);
    return {
      status: problems.length === 0 ? 'ready' : 'unavailable',
      mode: this.deps.config.cloudOps.apiKey === null ? 'emulator' : 'cloud',
      checks: {
        temporal: facts.temporal === null ? 'ok' : 'unavailable',
        cloudOps: facts.cloudOps === null ? 'ok' : 'unavailable',
      },
      problems,
      checkedAt: last === null ? null : new Date(last.at).toISOString(),
      ageSeconds: ageSeconds(last),
      auth: this.deps.config.auth.mode,
    };
  }

  private async check(): Promise<Facts> {
    const { temporal, capacity } = this.deps;
    const [temporalProblem, cloudOpsProblemText] = await Promise.all([
      this.problem(
        'temporal',
        () =>
          withTemporalDeadline(temporal, () => temporal.connection.workflowService.getSystemInfo({}), PROBE_TIMEOUT_MS),
        () => `Temporal: no answer within ${PROBE_TIMEOUT_MS / 1000} s or unreachable`,
      ),
      this.problem('cloudOps', () => withTimeout(capacity.identity(), PROBE_TIMEOUT_MS), cloudOpsProblem),
    ]);
    return { temporal: temporalProblem, cloudOps: cloudOpsProblemText };
  }

  /** null when run() succeeds, else what describe() makes of its error; the error is logged here in full. */
  private async problem(
    dependency: string,
    run: () => Promise<unknown>,
    describe: (err: unknown) => string,
  ): Promise<string | null> {
    try {
      await run();
      return null;
    } catch (err) {
      this.deps.logger.warn({ err, dependency }, 'readiness check failed');
      return describe(err);
    }
  }
}

// Readiness: whether this process reaches Temporal and the Cloud Ops API now.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { withTemporalDeadline } from '../api/plugins/errors.js';
import type { Readiness } from '../api/routes/health/schema.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';

const PROBE_TIMEOUT_MS = 3_000;

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ReadinessDeps {
  temporal: Client;
  capacity: CapacityReader;
  config: Config;
  logger: Logger;
}

export class ReadinessProbe {
  private readonly temporal: Client;
  private readonly capacity: CapacityReader;
  private readonly config: Config;
  private readonly logger: Logger;

  constructor({ temporal, capacity, config, logger }: ReadinessDeps) {
    this.temporal = temporal;
    this.capacity = capacity;
    this.config = config;
    this.logger = logger;
  }

  /** Both dependencies probed at once; a failure is logged here and only named "unavailable" in the answer. */
  async check(): Promise<Readiness> {
    const [temporal, cloudOps] = await Promise.all([
      this.probe('temporal', () =>
        withTemporalDeadline(
          this.temporal,
          () => this.temporal.connection.workflowService.getSystemInfo({}),
          PROBE_TIMEOUT_MS,
        ),
      ),
      this.probe('cloudOps', () => withTimeout(this.capacity.ping(), PROBE_TIMEOUT_MS)),
    ]);
    return {
      status: temporal === 'ok' && cloudOps === 'ok' ? 'ready' : 'unavailable',
      mode: this.config.cloudOps.apiKey === null ? 'emulator' : 'cloud',
      checks: { temporal, cloudOps },
      auth: this.config.auth.mode,
    };
  }

  private async probe(dependency: string, run: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
    try {
      await run();
      return 'ok';
    } catch (err) {
      this.logger.warn({ err, dependency }, 'readiness check failed');
      return 'unavailable';
    }
  }
}

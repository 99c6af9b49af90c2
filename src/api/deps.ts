import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Metrics } from '../metrics.js';

/** What the API is built from: buildApp connects nothing itself. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  temporal: Client;
  /** The API's Cloud Ops reads: in the service, through the rate-limited task queue (BudgetedReader). */
  capacity: CapacityReader;
  /**
   * The readiness check's GetCurrentIdentity, one per HEALTH_REFRESH_INTERVAL per process: direct, so that /readyz
   * says whether Cloud Ops answers even when no worker runs. Default: `capacity`.
   */
  readinessCapacity?: Pick<CapacityReader, 'identity'>;
  /** Optional: without it there is no /metrics route and nothing is counted (the OpenAPI generator). */
  metrics?: Metrics;
}

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
  capacity: CapacityReader;
  /** Optional: without it there is no /metrics route and nothing is counted (the OpenAPI generator). */
  metrics?: Metrics;
}

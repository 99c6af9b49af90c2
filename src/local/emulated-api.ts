// The API in this process, in front of a Cloud Ops emulator and a Temporal server that is already running: what the
// end-to-end tests, the bench and the soak each run. (The service's own local mode, in service.ts, also starts the
// dev server, connects lazily and stops on signals.)
import type net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.js';
import { CapacityService } from '../cloud-ops/capacity.js';
import { CloudOps } from '../cloud-ops/client.js';
import type { Config } from '../config.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../emulator/index.js';
import type { Logger } from '../logger.js';
import { cloudOpsCallObserver, createMetrics, type Metrics } from '../metrics.js';
import { StopList } from '../stop-list.js';

export interface EmulatedApiOptions {
  /** Its TEMPORAL_CLOUD_API_KEY is the key the emulator accepts; its TEMPORAL_ADDRESS is the server to use. */
  config: Config;
  logger: Logger;
  emulator: Pick<EmulatorOptions, 'applyDelayMs' | 'tlsDir' | 'controlPort'>;
  /** Listen on a free port of 127.0.0.1 (bench, soak); otherwise the app is only made ready, for inject (tests). */
  listen: boolean;
}

export interface EmulatedApi {
  metrics: Metrics;
  emulator: RunningEmulator;
  capacity: CapacityService;
  client: Client;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> when listening. */
  baseUrl: string | null;
  /** Stops what was started, the last first. */
  close(): Promise<void>;
}

export async function startEmulatedApi(opts: EmulatedApiOptions): Promise<EmulatedApi> {
  const { config, logger } = opts;
  const apiKey = config.cloudOps.apiKey;
  const address = config.temporal.address;
  if (apiKey === null || address === null) throw new Error('startEmulatedApi needs TEMPORAL_CLOUD_API_KEY and TEMPORAL_ADDRESS in its config');
  const stops = new StopList((err) => logger.error({ err }, 'error while stopping'));
  const close = () => stops.stopAll();
  try {
    const metrics = createMetrics();
    const emulator = await startEmulator({ ...opts.emulator, apiKey, namespaces: [] });
    stops.push(() => emulator.close());
    const ops = CloudOps.forEmulator(emulator, { apiKey, apiVersion: config.cloudOps.apiVersion, onCall: cloudOpsCallObserver(metrics) });
    stops.push(() => ops.close());
    const capacity = new CapacityService(ops);
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const app = await buildApp({ config, logger, temporal: client, capacity, metrics });
    stops.push(() => app.close());
    let baseUrl: string | null = null;
    if (opts.listen) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    } else {
      await app.ready();
    }
    return { metrics, emulator, capacity, client, app, baseUrl, close };
  } catch (err) {
    await close();
    throw err;
  }
}

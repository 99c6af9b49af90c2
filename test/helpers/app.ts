// The one way the API unit tests build the app: the real buildApp (validation, errors, auth, logger, routes and
// services) over a stub Temporal client and a stub CapacityReader that record what they are asked. Features are
// proved against a real Temporal server in test/e2e; these stubs only serve tests of input handling.
import type { Test } from 'tap';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { CapacityReader, NamespaceCapacityView } from '../../src/cloud-ops/types.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import type { CapacityWindowInput, WindowMemo } from '../../src/shared/index.js';

/** The run id of every window the stub starts, and the only run it can describe. */
export const RUN_ID = '0b9e6a4c-1f2d-4e3a-9c8b-7a6f5e4d3c2b';

export interface ListRequest {
  namespace: string;
  query: string;
  pageSize: number;
  nextPageToken: Uint8Array;
}

export interface TestAppOptions {
  /** The environment the configuration is read from; default: local mode with every default. */
  env?: Record<string, string>;
  /** Replaces parts of the stub reader, which accepts 2, 4 and 8 TRUs on an On-Demand namespace. */
  capacity?: Partial<CapacityReader>;
  /** What a describe of run RUN_ID answers; without it no window exists. */
  execution?: { status: string; memo: unknown; result?: unknown };
  /** Thrown by every workflow start. */
  startError?: Error;
  /** false: the readiness probe finds no Temporal server. */
  temporalReachable?: boolean;
  /** A visibility listing's answer; default: an empty page. */
  list?: (request: ListRequest) => unknown;
  metrics?: Metrics;
  /** Test-only plugins, registered after the app's own routes (e.g. a variant of one route's answers). */
  plugins?: FastifyPluginAsync[];
}

export interface StartCall {
  workflowType: string;
  options: { workflowId: string; args: CapacityWindowInput[]; memo: WindowMemo; typedSearchAttributes: unknown[] };
}

export interface ScheduleCall {
  scheduleId: string;
  action: { args: CapacityWindowInput[]; memo: WindowMemo };
}

export interface TestApp {
  app: FastifyInstance;
  starts: StartCall[];
  signals: unknown[];
  schedules: ScheduleCall[];
  lists: ListRequest[];
  /** Cloud Ops reads, as "capacity <namespace>" or "TRU options <namespace>". */
  reads: string[];
  logLines: string[];
}

export function capacityView(namespace: string): NamespaceCapacityView {
  return {
    namespace,
    current: { mode: 'ON_DEMAND' },
    latestRequest: null,
    validTruValues: [2, 4, 8],
    maxAvailableTruValue: 8,
    apsStats: null,
    hasLegacyLimits: false,
  };
}

/** The app, closed when `t` ends. */
export async function buildTestApp(t: Test, options: TestAppOptions = {}): Promise<TestApp> {
  const calls = {
    starts: [] as StartCall[],
    signals: [] as unknown[],
    schedules: [] as ScheduleCall[],
    lists: [] as ListRequest[],
  };
  const reads: string[] = [];
  const logLines: string[] = [];
  const destination = { write: (line: string) => void logLines.push(line) };
  const app = await buildApp({
    config: loadConfig(options.env ?? {}),
    logger: createLogger({ level: 'debug', secrets: [], destination }),
    temporal: stubTemporal(options, calls),
    capacity: stubCapacity(options, reads),
    ...(options.metrics && { metrics: options.metrics }),
  });
  t.teardown(() => app.close());
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  await app.ready();
  return { app, ...calls, reads, logLines };
}

function stubCapacity(options: TestAppOptions, reads: string[]): CapacityReader {
  return {
    readCapacity: async (namespace) => {
      reads.push(`capacity ${namespace}`);
      return capacityView(namespace);
    },
    readTruOptions: async (namespace) => {
      reads.push(`TRU options ${namespace}`);
      const { validTruValues, maxAvailableTruValue } = capacityView(namespace);
      return { validTruValues, maxAvailableTruValue };
    },
    checkTrus: (view, trus) =>
      view.validTruValues.includes(trus)
        ? { ok: true }
        : {
            ok: false,
            code: 'TRU_VALUE_NOT_ALLOWED',
            message: `${trus} TRUs is not allowed; valid values: ${view.validTruValues.join(', ')}`,
            validTruValues: view.validTruValues,
          },
    identity: async () => ({ serviceAccount: { id: 'stub' } }),
    ...options.capacity,
  };
}

/** Only the parts of the client the routes call; anything else is a TypeError, which the test would show. */
function stubTemporal(
  options: TestAppOptions,
  calls: Pick<TestApp, 'starts' | 'signals' | 'schedules' | 'lists'>,
): Client {
  const { execution } = options;
  const stub = {
    withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn(),
    options: { namespace: 'default' },
    workflow: {
      start: async (workflowType: string, startOptions: StartCall['options']) => {
        calls.starts.push({ workflowType, options: startOptions });
        if (options.startError) throw options.startError;
        return { workflowId: startOptions.workflowId, firstExecutionRunId: RUN_ID };
      },
      getHandle: (workflowId: string, runId?: string) => ({
        describe: async () => {
          if (!execution || runId !== RUN_ID) throw new WorkflowNotFoundError('workflow not found', workflowId, runId);
          return { workflowId, runId, status: { name: execution.status }, memo: execution.memo, startTime: new Date() };
        },
        result: async () => execution?.result,
        signal: async (_signal: unknown, arg: unknown) => void calls.signals.push(arg),
      }),
      // The windows-by-phase gauge asks visibility at scrape time: none running here.
      count: async () => ({ count: 0, groups: [] }),
    },
    schedule: {
      create: async (schedule: ScheduleCall) => {
        calls.schedules.push(schedule);
        return {
          scheduleId: schedule.scheduleId,
          describe: async () => ({ info: { nextActionTimes: [] }, action: schedule.action }),
        };
      },
    },
    workflowService: {
      listWorkflowExecutions: async (request: ListRequest) => {
        calls.lists.push(request);
        return options.list ? options.list(request) : { executions: [], nextPageToken: Buffer.alloc(0) };
      },
    },
    connection: {
      workflowService: {
        getSystemInfo: async () => {
          if (options.temporalReachable === false) throw new Error('no server');
          return {};
        },
      },
    },
  };
  return stub as unknown as Client;
}

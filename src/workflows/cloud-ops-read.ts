import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { CloudOpsRead } from '../shared/index.js';

// One attempt: the API's caller is waiting and may try again; the Cloud Ops client retries a lost connection itself.
const { readCloudOps } = proxyActivities<Activities>({ startToCloseTimeout: '8s', retry: { maximumAttempts: 1 } });

/** One Cloud Ops read of the API, run as an activity so that the task queue's rate limit counts it. */
export async function cloudOpsReadWorkflow(read: CloudOpsRead): Promise<unknown> {
  return readCloudOps(read);
}

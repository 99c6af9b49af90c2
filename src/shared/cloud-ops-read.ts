// Sandbox-safe contract of the API's Cloud Ops reads. They run as activities on the worker's task queue, so that
// the rate limit the Temporal server enforces there (maxTaskQueueActivitiesPerSecond) counts them with the windows'.

export const CLOUD_OPS_READ_WORKFLOW = 'cloudOpsReadWorkflow';

export type CloudOpsRead =
  { kind: 'capacity'; namespace: string } | { kind: 'truOptions'; namespace: string } | { kind: 'identity' };

/** The details of a read's failure: the Cloud Ops error it was, for the API to answer as it does for any. */
export interface CloudOpsReadFailure {
  kind: string;
  grpcCode: number | null;
}

// A namespace's capacity as the API shows it: what Cloud Ops reports, and the TRUs its load suggests.
import type { Client } from '@temporalio/client';
import { ApiError, toApiError, withTemporalDeadline } from '../api/plugins/errors.js';
import type { NamespaceCapacity } from '../api/routes/namespaces/schema.js';
import { recommendTrus } from '../cloud-ops/capacity.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { checkNamespace } from '../guardrails.js';
import { controllerWorkflowId } from '../shared/index.js';

export class NamespacesService {
  private readonly capacity: CapacityReader;
  private readonly config: Config;
  private readonly temporal: Client;

  constructor({ capacity, config, temporal }: { capacity: CapacityReader; config: Config; temporal: Client }) {
    this.capacity = capacity;
    this.config = config;
    this.temporal = temporal;
  }

  async capacityOf(namespace: string): Promise<NamespaceCapacity> {
    // Outside the namespaces this service may change, a read would only spend the account's Cloud Ops budget.
    const outside = checkNamespace(this.config.guardrails, namespace);
    if (outside) throw new ApiError(403, outside.code, outside.message);
    const [view, drift] = await Promise.all([this.capacity.readCapacity(namespace), this.latestDrift(namespace)]);
    return {
      namespace: view.namespace,
      mode: view.current.mode,
      trus: view.current.mode === 'PROVISIONED' ? view.current.trus : null,
      latestRequest: view.latestRequest,
      validTruValues: view.validTruValues,
      maxAvailableTruValue: view.maxAvailableTruValue,
      apsStats: view.apsStats,
      recommendation: recommendTrus(view),
      drift,
    };
  }

  /** The latest drift the namespace's controller saw, from its memo: one describe, no worker needed. */
  private async latestDrift(namespace: string): Promise<NamespaceCapacity['drift']> {
    const handle = this.temporal.workflow.getHandle(controllerWorkflowId(namespace));
    try {
      const desc = await withTemporalDeadline(this.temporal, () => handle.describe());
      return (desc.memo?.drift as NamespaceCapacity['drift'] | undefined) ?? null;
    } catch (err) {
      if (toApiError(err)?.code === 'WINDOW_NOT_FOUND') return null;
      throw err;
    }
  }
}

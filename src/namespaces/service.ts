// A namespace's capacity as the API shows it: what Cloud Ops reports, and the TRUs its load suggests.
import { ApiError } from '../api/plugins/errors.js';
import type { NamespaceCapacity } from '../api/routes/namespaces/schema.js';
import { recommendTrus } from '../cloud-ops/capacity.js';
import type { CapacityReader } from '../cloud-ops/types.js';
import type { Config } from '../config.js';
import { checkNamespace } from '../guardrails.js';

export class NamespacesService {
  private readonly capacity: CapacityReader;
  private readonly config: Config;

  constructor({ capacity, config }: { capacity: CapacityReader; config: Config }) {
    this.capacity = capacity;
    this.config = config;
  }

  async capacityOf(namespace: string): Promise<NamespaceCapacity> {
    // Outside the namespaces this service may change, a read would only spend the account's Cloud Ops budget.
    const outside = checkNamespace(this.config.guardrails, namespace);
    if (outside) throw new ApiError(403, outside.code, outside.message);
    const view = await this.capacity.readCapacity(namespace);
    return {
      namespace: view.namespace,
      mode: view.current.mode,
      trus: view.current.mode === 'PROVISIONED' ? view.current.trus : null,
      latestRequest: view.latestRequest,
      validTruValues: view.validTruValues,
      maxAvailableTruValue: view.maxAvailableTruValue,
      apsStats: view.apsStats,
      recommendation: recommendTrus(view),
    };
  }
}

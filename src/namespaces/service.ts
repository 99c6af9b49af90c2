// A namespace's capacity as the API shows it: what Cloud Ops reports, and the TRUs its load suggests.
import type { NamespaceCapacity } from '../api/routes/namespaces/schema.js';
import { recommendTrus } from '../cloud-ops/capacity.js';
import type { CapacityReader } from '../cloud-ops/types.js';

export class NamespacesService {
  private readonly capacity: CapacityReader;

  constructor({ capacity }: { capacity: CapacityReader }) {
    this.capacity = capacity;
  }

  async capacityOf(namespace: string): Promise<NamespaceCapacity> {
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../app.js';
import { recommendTrus } from '../../../cloud-ops/capacity.js';
import { getCapacitySchema, type NamespaceCapacity } from './schema.js';

const namespaces: FastifyPluginAsyncTypebox<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/v1/namespaces/:namespace/capacity', { schema: getCapacitySchema }, async (request): Promise<NamespaceCapacity> => {
    const view = await deps.capacity.readCapacity(request.params.namespace);
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
  });
};

export default namespaces;

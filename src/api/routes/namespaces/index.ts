import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NamespacesService } from '../../../namespaces/service.js';
import { getCapacitySchema } from './schema.js';

const namespaces: FastifyPluginAsyncTypebox<{ namespaces: NamespacesService }> = async (app, { namespaces }) => {
  app.get('/v1/namespaces/:namespace/capacity', { schema: getCapacitySchema }, async (request) => {
    return namespaces.capacityOf(request.params.namespace);
  });
};

export default namespaces;

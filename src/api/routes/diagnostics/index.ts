import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DiagnosticsService } from '../../../health/diagnostics.js';
import { getDiagnosticsSchema } from './schema.js';

const diagnostics: FastifyPluginAsyncTypebox<{ diagnostics: DiagnosticsService }> = async (app, { diagnostics }) => {
  app.get('/v1/diagnostics', { schema: getDiagnosticsSchema }, async (request) => {
    const { namespace, slackTest } = request.query;
    return diagnostics.run({ namespaces: namespace?.split(','), slackTest: slackTest === 'true' });
  });
};

export default diagnostics;

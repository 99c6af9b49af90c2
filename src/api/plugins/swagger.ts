import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

const API_TITLE = 'Capacity Scheduler API';

/** Registered before any route, so that every route lands in the document. */
export async function registerSwagger(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      // 3.1 because nullable fields are JSON Schema `anyOf [..., null]`, which 3.0 cannot express.
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: '1.0.0',
        description:
          'Give a Temporal Cloud namespace provisioned capacity (TRUs) for a window of time, then put it back on On-Demand. ' +
          'Each capacity change is a Temporal workflow execution; this API starts and reads them.',
      },
      tags: [
        { name: 'capacity-changes', description: 'Time-boxed capacity windows.' },
        { name: 'namespaces', description: 'What a namespace has now and what it accepts.' },
        { name: 'health', description: 'Liveness and readiness probes.' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

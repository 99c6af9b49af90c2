import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { reportCsv } from '../../../reports/csv.js';
import type { ReportsService } from '../../../reports/service.js';
import { mayAccess } from '../../plugins/auth.js';
import { truHoursSchema } from './schema.js';

const reports: FastifyPluginAsyncTypebox<{ reports: ReportsService }> = async (app, { reports }) => {
  app.get('/v1/reports/tru-hours', { schema: truHoursSchema }, async (request, reply) => {
    const report = await reports.truHoursReport(request.query, (ns) => mayAccess(request, ns));
    if (request.headers.accept?.includes('text/csv')) return reply.type('text/csv; charset=utf-8').send(reportCsv(report));
    return report;
  });
};

export default reports;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { reportCsv } from '../../../reports/csv.js';
import type { ReportsService } from '../../../reports/service.js';
import { ApiError } from '../../plugins/errors.js';
import { mayAccess } from '../../plugins/auth.js';
import { MAX_REPORT_DAYS, truHoursSchema } from './schema.js';

const DAY_MS = 86_400_000;

const reports: FastifyPluginAsyncTypebox<{ reports: ReportsService }> = async (app, { reports }) => {
  app.get('/v1/reports/tru-hours', { schema: truHoursSchema }, async (request, reply) => {
    const fromMs = Date.parse(request.query.from);
    const toMs = Date.parse(request.query.to);
    if (toMs <= fromMs) throw new ApiError(422, 'INVALID_TIME_RANGE', 'querystring.to must be after querystring.from');
    if (toMs - fromMs > MAX_REPORT_DAYS * DAY_MS)
      throw new ApiError(422, 'TIME_RANGE_TOO_LONG', `a report covers at most ${MAX_REPORT_DAYS} days`);
    const report = await reports.truHours({ fromMs, toMs }, request.query.groupBy, (ns) => mayAccess(request, ns));
    if (request.headers.accept?.includes('text/csv')) return reply.type('text/csv; charset=utf-8').send(reportCsv(report));
    return report;
  });
};

export default reports;

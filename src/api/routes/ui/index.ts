import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../../config.js';

/** The page's own files, next to the compiled routes in dist/ too (`npm run build` copies them). */
const ASSETS = new URL('../../../ui/', import.meta.url);

const FILES = [
  { url: '/ui', file: 'timeline.html', type: 'text/html; charset=utf-8' },
  { url: '/ui/timeline.js', file: 'timeline.js', type: 'text/javascript; charset=utf-8' },
  { url: '/ui/timeline.css', file: 'timeline.css', type: 'text/css; charset=utf-8' },
] as const;

/** Only our own files and same-origin API calls: nothing inline, nothing external, no framing. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The capacity timeline page: a static shell with no data in it, served without authentication; everything it
 * shows comes from /v1 with the caller's own credentials. Hidden from the OpenAPI document: not part of the API.
 */
const ui: FastifyPluginAsyncTypebox<{ temporal: Config['temporal'] }> = async (app, { temporal }) => {
  for (const { url, file, type } of FILES) {
    const body = readFileSync(new URL(file, ASSETS));
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(type)
        .header('content-security-policy', CSP)
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }

  // Behind /v1 authentication like the data: which Temporal Web UI the bars link to (no secret in it).
  app.get('/v1/ui/config', { schema: { hide: true } }, async () => ({
    temporalUi: temporal.uiUrl === null ? null : { url: temporal.uiUrl, namespace: temporal.namespace },
  }));
};

export default ui;

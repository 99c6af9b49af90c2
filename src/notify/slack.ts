import type { Logger } from 'pino';
import type { AlertInput } from '../shared/index.js';

export interface Notifier {
  /** Never throws: a failed notification must not fail a window. Resolves to whether Slack accepted it. */
  notify(alert: AlertInput): Promise<boolean>;
}

export interface SlackOptions {
  webhookUrl: string | null;
  timeoutMs: number;
  logger: Logger;
  /** Base URL of the Temporal Web UI, for a link to the window's workflow. */
  uiUrl?: string | null;
  temporalNamespace?: string;
}

const EMOJI: Record<AlertInput['severity'], string> = { WARNING: ':warning:', CRITICAL: ':rotating_light:' };

export function slackMessage(alert: AlertInput, link: string | null): { text: string; blocks: unknown[] } {
  const text = `${EMOJI[alert.severity]} [${alert.severity}] Capacity change ${alert.step} failed for ${alert.namespace} (${alert.trus} TRUs): ${alert.reason}`;
  const fields = [
    `*Namespace*\n${alert.namespace}`,
    `*TRUs*\n${alert.trus}`,
    `*Step*\n${alert.step}`,
    `*Window*\n${alert.windowId}`,
  ].map((t) => ({ type: 'mrkdwn', text: t }));
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `${alert.severity}: capacity ${alert.step.toLowerCase()} failed` } },
    { type: 'section', fields },
    { type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${alert.reason}` } },
  ];
  if (link) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${link}|Open the workflow in Temporal>` }] });
  return { text, blocks };
}

export function createSlackNotifier(opts: SlackOptions): Notifier {
  const log = opts.logger.child({ component: 'slack' });
  return {
    async notify(alert) {
      if (!opts.webhookUrl) {
        log.debug({ namespace: alert.namespace, step: alert.step }, 'no Slack webhook configured; alert only logged');
        return false;
      }
      const link = opts.uiUrl && alert.workflowId
        ? `${opts.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(opts.temporalNamespace ?? 'default')}/workflows/${encodeURIComponent(alert.workflowId)}`
        : null;
      try {
        const res = await fetch(opts.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackMessage(alert, link)),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        if (!res.ok) {
          log.warn({ status: res.status, namespace: alert.namespace, step: alert.step }, 'Slack refused the alert');
          return false;
        }
        return true;
      } catch (err) {
        // The error text of fetch can carry the URL, which is a secret: log its name only.
        log.warn({ error: (err as Error).name, namespace: alert.namespace, step: alert.step }, 'Slack alert could not be sent');
        return false;
      }
    },
  };
}

import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
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
  /** Optional: counts sends by outcome. */
  metrics?: Pick<Metrics, 'slackSends'>;
}

const EMOJI: Record<AlertInput['severity'], string> = { WARNING: ':warning:', CRITICAL: ':rotating_light:' };

/** Slack treats these three as control characters (links, mentions) in any text we did not write. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text we did not write (a reason, a requester, an error message) as a plain_text object: no mrkdwn, no links or
 * mentions, no control characters. Our own label goes on the first line.
 */
function plain(label: string, text: string): { type: 'plain_text'; text: string; emoji: false } {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '');
  return { type: 'plain_text', text: `${label}\n${escape(clean)}`, emoji: false };
}

/** An instant shown in each reader's own time zone, with the RFC 3339 text as the fallback. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escape(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escape(iso)}>`;
}

/** "start → end", "start → permanent (no revert)", or null when the alert does not say. */
function windowText(alert: AlertInput): string | null {
  if (!alert.startAt && alert.endAt === undefined) return null;
  const start = alert.startAt ? slackDate(alert.startAt) : '?';
  const end = alert.endAt === null ? 'permanent (no revert)' : alert.endAt ? slackDate(alert.endAt) : '?';
  return `${start} → ${end}`;
}

/** Link to the window's workflow in the Temporal Web UI, when both the base URL and the workflow id are known. */
export function workflowLink(
  uiUrl: string | null | undefined,
  temporalNamespace: string | undefined,
  workflowId: string | undefined,
): string | null {
  if (!uiUrl || !workflowId) return null;
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(temporalNamespace ?? 'default')}/workflows/${encodeURIComponent(workflowId)}`;
}

/** One Block Kit message per event; `text` is the notification and screen-reader fallback. */
export function slackMessage(alert: AlertInput, link: string | null): { text: string; blocks: unknown[] } {
  // A drift is no failure of ours: someone changed the namespace outside the scheduler.
  const drift = alert.step === 'DRIFT';
  const what = drift
    ? `Capacity of ${escape(alert.namespace)} changed outside the scheduler`
    : `Capacity change ${alert.step} failed for ${escape(alert.namespace)} (${alert.trus} TRUs)`;
  const text = `${EMOJI[alert.severity]} [${alert.severity}] ${what}: ${escape(alert.reason)}`;
  const window = windowText(alert);
  const fields = [
    { type: 'mrkdwn', text: `*Namespace*\n${escape(alert.namespace)}` },
    { type: 'mrkdwn', text: `*TRUs*\n${alert.trus}` },
    { type: 'mrkdwn', text: `*Step*\n${alert.step}` },
    { type: 'mrkdwn', text: `*Severity*\n${alert.severity}` },
    ...(window === null ? [] : [{ type: 'mrkdwn', text: `*Window*\n${window}` }]),
    ...(alert.requestedBy ? [plain('Requested by', alert.requestedBy)] : []),
  ];
  const blocks: unknown[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `${EMOJI[alert.severity]} ${alert.severity}: ${drift ? 'capacity changed by hand' : `capacity ${alert.step.toLowerCase()} failed`}`,
        emoji: true,
      },
    },
    { type: 'section', fields },
    { type: 'section', text: plain('Reason', alert.reason) },
  ];
  if (alert.requestReason) blocks.push({ type: 'section', text: plain('Requested for', alert.requestReason) });
  const context = [`Window \`${escape(alert.windowId)}\``];
  if (link) context.push(`<${link}|Open the workflow in the Temporal Web UI>`);
  blocks.push({ type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: t })) });
  return { text, blocks };
}

export function createSlackNotifier(opts: SlackOptions): Notifier {
  const log = opts.logger.child({ component: 'slack' });
  return {
    async notify(alert) {
      if (!opts.webhookUrl) {
        opts.metrics?.slackSends.inc({ outcome: 'disabled' });
        log.debug({ namespace: alert.namespace, step: alert.step }, 'no Slack webhook configured; alert only logged');
        return false;
      }
      const link = workflowLink(opts.uiUrl, opts.temporalNamespace, alert.workflowId);
      try {
        const res = await fetch(opts.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackMessage(alert, link)),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        if (!res.ok) {
          opts.metrics?.slackSends.inc({ outcome: 'failed' });
          log.warn({ status: res.status, namespace: alert.namespace, step: alert.step }, 'Slack refused the alert');
          return false;
        }
        opts.metrics?.slackSends.inc({ outcome: 'sent' });
        return true;
      } catch (err) {
        opts.metrics?.slackSends.inc({ outcome: 'failed' });
        // The error text of fetch can carry the URL, which is a secret: log its name only.
        log.warn(
          { error: (err as Error).name, namespace: alert.namespace, step: alert.step },
          'Slack alert could not be sent',
        );
        return false;
      }
    },
  };
}

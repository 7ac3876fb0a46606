/** The Slack incoming-webhook channel: one POST per alert, results as DeliveryResult. */
import type { Logger } from '../logger.js';
import { severityRank, type Severity } from '../alert.js';
import type { AlertChannel, DeliveryResult } from './alert-channel.js';
import { buildSlackMessage } from './slack-message.js';

export interface SlackChannelDeps {
  webhookUrl: string;
  minSeverity: Severity;
  fetch?: typeof globalThis.fetch;
  logger: Logger;
  timeoutMs?: number;
}

/** Retry-After is seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function createSlackChannel(deps: SlackChannelDeps): AlertChannel {
  const doFetch = deps.fetch ?? globalThis.fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return {
    name: 'slack',
    accepts: (alert) => severityRank(alert.severity) >= severityRank(deps.minSeverity),
    async deliver(alert): Promise<DeliveryResult> {
      let response: Response;
      try {
        response = await doFetch(deps.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(buildSlackMessage(alert)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return { kind: 'retryable', error: `slack request failed: ${(error as Error).message}` };
      }
      // Slack answers "ok" or an error code such as invalid_payload / no_service in the body.
      const body = (await response.text().catch(() => '')).slice(0, 200);
      deps.logger.debug({ alert: alert.id, status: response.status, body }, 'slack answered');
      if (response.ok) return { kind: 'success' };
      const error = `slack answered ${response.status} ${body}`.trim();
      if (response.status === 429) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        return retryAfterMs === undefined ? { kind: 'retryable', error } : { kind: 'retryable', error, retryAfterMs };
      }
      if (response.status >= 500 || response.status === 408) return { kind: 'retryable', error };
      return { kind: 'failure', error };
    },
  };
}

/** Builds the Slack Block Kit payload for an alert (pure). */
import type { AlertMessage, Severity } from './alert.js';

const SEVERITY_EMOJI: Record<Severity, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };
const KIND_LABEL = { new_pattern: 'new pattern', frequency_spike: 'frequency spike', pattern_limit: 'pattern limit' } as const;

/** Slack limits: header 150 chars, section text 3,000, field 2,000. */
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const SAMPLE_MAX = 500;
const MAX_SAMPLES = 3;

/** Slack reads &, < and > as control characters in mrkdwn, even inside code blocks. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** A sample cannot close the code block early: break up its backtick runs. */
function codeSafe(text: string): string {
  return escapeMrkdwn(text).replace(/`/g, '\u02cb');
}

function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

function field(label: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncate(`*${label}*\n${value}`, FIELD_MAX) };
}

export interface SlackPayload {
  text: string;
  blocks: unknown[];
}

export function buildSlackMessage(alert: AlertMessage): SlackPayload {
  const severity = alert.severity.toUpperCase();
  const heading = `${severity} · ${alert.title}`;
  const count = `${alert.anomalyCount} ${alert.anomalyCount === 1 ? 'anomaly' : 'anomalies'} · ${alert.recordCount} ${alert.recordCount === 1 ? 'record' : 'records'}`;
  const samples = alert.samples
    .slice(-MAX_SAMPLES)
    .map((s) => codeSafe(truncate(s.replace(/\s+$/u, ''), SAMPLE_MAX)))
    .join('\n');
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(heading, HEADER_MAX), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`${SEVERITY_EMOJI[alert.severity]} ${escapeMrkdwn(alert.description)}`, TEXT_MAX) } },
    {
      type: 'section',
      fields: [
        field('Service', escapeMrkdwn(alert.service)),
        field('Kind', KIND_LABEL[alert.kind]),
        field('Score', alert.score.toFixed(2)),
        field('Count', count),
        field('First seen', slackDate(alert.firstSeen)),
        field('Trace id', alert.traceId ? `\`${escapeMrkdwn(alert.traceId)}\`` : '—'),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Pattern*\n\`${codeSafe(alert.template)}\``, TEXT_MAX) } },
  ];
  if (samples) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Samples*\n\`\`\`${truncate(samples, TEXT_MAX - 30)}\`\`\`` } });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`anomalog · alert ${alert.id} · pattern ${alert.patternId}`) }],
  });
  return {
    // Shown in notifications and by clients without Block Kit.
    text: truncate(`[${severity}] ${escapeMrkdwn(alert.title)}: ${escapeMrkdwn(alert.description)}`, TEXT_MAX),
    blocks,
  };
}

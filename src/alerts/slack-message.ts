/** Builds the Slack Block Kit payload for an alert (pure). */
import { labelText, type AlertMessage, type IncidentDigest, type Severity } from '../alert.js';

const SEVERITY_EMOJI: Record<Severity, string> = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' };
const KIND_LABEL = { new_pattern: 'new pattern', frequency_spike: 'frequency spike', pattern_limit: 'pattern limit' } as const;

/** Slack limits: header 150 chars, section text 3,000, field 2,000. */
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const SAMPLE_MAX = 500;
const MAX_SAMPLES = 3;
/** Per listed template in a follow-up: the TOP_GROUPED (5) lines stay within one section's 3,000. */
const LISTED_TEMPLATE_MAX = 480;

/** Slack reads &, < and > as control characters in mrkdwn, even inside code blocks. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** Text going inside a code span or block: a backtick would close it early, so it becomes ˋ (U+02CB). */
function codeSafe(text: string): string {
  return escapeMrkdwn(text).replace(/`/g, '\u02cb');
}

/** Inside a code span *, _ and ~ are literal. */
function codeSpan(text: string): string {
  return `\`${codeSafe(text)}\``;
}

const FORMATTING = /[*_~`]/;

/**
 * Free text that mixes our words with log text (an anomaly's reason names the
 * service and quotes the template): &, < and > escaped, and every word holding
 * a formatting character (*, _, ~, `) set in a code span, so no part of it is
 * live mrkdwn. Slack has no backslash escape for these.
 */
export function literalMrkdwn(text: string): string {
  return text
    .split(/(\s+)/)
    .map((part) => (FORMATTING.test(part) ? codeSpan(part) : escapeMrkdwn(part)))
    .join('');
}

/**
 * Renders `text` within `max` characters by cutting the text before it is
 * rendered: cutting the rendered mrkdwn could leave a code span open, and an
 * open span turns the formatting in the log text back on.
 */
function fit(text: string, max: number, render: (text: string) => string): string {
  let keep = text.length;
  let out = render(text);
  while (out.length > max && keep > 1) {
    keep = Math.max(1, Math.min(keep - 1, Math.floor((keep * max) / out.length)));
    out = render(truncate(text, keep));
  }
  return out;
}

function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

/** A field whose value is ours (numbers, labels, dates) or already rendered to fit. */
function field(label: string, value: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`, verbatim: true };
}

/** A section of mrkdwn holding log text; verbatim: Slack does not turn its URLs, channel names or mentions into links. */
function section(text: string): { type: 'section'; text: { type: 'mrkdwn'; text: string; verbatim: true } } {
  return { type: 'section', text: { type: 'mrkdwn', text, verbatim: true } };
}

export interface SlackPayload {
  text: string;
  /** The top-level text is a notification fallback: shown as it is, not as mrkdwn. */
  mrkdwn: false;
  blocks: unknown[];
}

/** An incident follow-up's list: score, what it is and the template of each top alert. */
function topList(digest: IncidentDigest): string {
  const lines = digest.top.map(
    (g) => `• ${g.score.toFixed(2)} · ${labelText(g.label, 1)} · ${fit(g.template, LISTED_TEMPLATE_MAX, codeSpan)}`,
  );
  return `*Top ${lines.length === 1 ? 'alert' : 'alerts'} by score*\n${lines.join('\n')}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function buildSlackMessage(alert: AlertMessage): SlackPayload {
  const severity = alert.severity.toUpperCase();
  const heading = `${severity} · ${alert.title}`;
  const { digest } = alert;
  const counts = [plural(alert.anomalyCount, 'anomaly', 'anomalies'), plural(alert.recordCount, 'record', 'records')];
  if (digest) counts.unshift(plural(digest.alerts, 'alert', 'alerts'));
  const samples = alert.samples
    .slice(-MAX_SAMPLES)
    .map((s) => codeSafe(truncate(s.replace(/\s+$/u, ''), SAMPLE_MAX)))
    .join('\n');
  const emoji = SEVERITY_EMOJI[alert.severity];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(heading, HEADER_MAX), emoji: true } },
    section(fit(alert.description, TEXT_MAX, (text) => `${emoji} ${literalMrkdwn(text)}`)),
    {
      type: 'section',
      fields: [
        field('Service', fit(alert.service, FIELD_MAX - 20, codeSpan)),
        field('Kind', digest ? 'incident follow-up' : KIND_LABEL[alert.kind]),
        field(digest ? 'Top score' : 'Score', alert.score.toFixed(2)),
        field('Count', counts.join(' · ')),
        field('First seen', slackDate(alert.firstSeen)),
        field('Trace id', alert.traceId ? fit(alert.traceId, FIELD_MAX - 20, codeSpan) : '—'),
      ],
    },
    digest ? section(topList(digest)) : section(`*Pattern*\n${fit(alert.template, TEXT_MAX - 20, codeSpan)}`),
  ];
  if (samples) {
    blocks.push(section(`*Samples*\n\`\`\`${truncate(samples, TEXT_MAX - 30)}\`\`\``));
  }
  const about = [`alert ${alert.id}`, ...(digest ? [] : [`pattern ${alert.patternId}`]), ...(alert.incidentId ? [`incident ${alert.incidentId}`] : [])];
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: escapeMrkdwn(['anomalog', ...about].join(' · ')) }],
  });
  return {
    // Shown in notifications and by clients without Block Kit.
    text: truncate(`[${severity}] ${escapeMrkdwn(alert.title)}: ${escapeMrkdwn(alert.description)}`, TEXT_MAX),
    mrkdwn: false,
    blocks,
  };
}

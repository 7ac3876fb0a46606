import { describe, expect, it } from 'vitest';
import { severityFor, type AlertMessage } from '../../src/alert.js';
import { buildSlackMessage, escapeMrkdwn, literalMrkdwn } from '../../src/alerts/slack-message.js';
import { parseRetryAfter } from '../../src/alerts/slack.js';

function alert(over: Partial<AlertMessage> = {}): AlertMessage {
  return {
    id: 'alert:a1', createdAt: 1_764_000_000_000, severity: 'critical', title: 'New ERROR pattern in payment-gateway',
    description: 'A new ERROR pattern appeared in payment-gateway.', service: 'payment-gateway', patternId: 'p-1',
    kind: 'new_pattern', template: 'charge failed for <HEX>', score: 0.93, traceId: '0af7651916cd43dd8448eb211c80319c',
    anomalyCount: 2, recordCount: 5, firstSeen: 1_764_000_000_000, lastSeen: 1_764_000_001_000,
    samples: ['charge failed for 4f3a'], parentId: null, level: 'error',
    incidentId: 'incident:a1', digest: null, ...over,
  };
}

const texts = (payload: ReturnType<typeof buildSlackMessage>): string => JSON.stringify(payload.blocks);

describe('slack message', () => {
  it('puts severity and service in the title and kind, score, count, first seen and trace id in fields', () => {
    const payload = buildSlackMessage(alert());
    const header = payload.blocks[0] as { type: string; text: { text: string } };
    expect(header.type).toBe('header');
    expect(header.text.text).toContain('CRITICAL');
    expect(header.text.text).toContain('payment-gateway');
    const all = texts(payload);
    for (const part of ['new pattern', '0.93', '2 anomalies · 5 records', '<!date^1764000000^', '0af7651916cd43dd8448eb211c80319c']) {
      expect(all).toContain(part);
    }
    expect(payload.text).toBe('[CRITICAL] New ERROR pattern in payment-gateway: A new ERROR pattern appeared in payment-gateway.');
  });

  it('shows at most three samples, newest last, escaped and truncated inside one code block', () => {
    const long = 'x'.repeat(5000);
    const payload = buildSlackMessage(alert({ samples: ['old <b>', 'a & b', '```break out```', long] }));
    const section = payload.blocks.find((b) => JSON.stringify(b).includes('*Samples*')) as { text: { text: string } };
    const text = section.text.text;
    expect(text).not.toContain('old');
    expect(text).toContain('a &amp; b');
    expect(text.match(/```/g)).toHaveLength(2);
    expect(text.length).toBeLessThan(3000);
    expect(text).toContain('…');
  });

  it('escapes mrkdwn control characters so a log line cannot ping or link', () => {
    expect(escapeMrkdwn('<!channel> & <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    expect(JSON.stringify(buildSlackMessage(alert({ description: '<!here> boom' })))).not.toContain('<!here>');
  });
});

/** Every mrkdwn text object in the blocks. */
function mrkdwnTexts(payload: ReturnType<typeof buildSlackMessage>): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') found.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(payload.blocks);
  return found;
}

/**
 * What Slack would still format: the text outside code blocks and code spans,
 * without our own bold labels (*Pattern*, *Service*, ...), severity emoji and dates.
 */
function liveParts(mrkdwn: string): string {
  return mrkdwn
    .replace(/```[^`]*```/g, '')
    .replace(/`[^`\n]+`/g, '')
    .replace(/^\*[A-Z][a-z ]+\*\n/, '')
    .replace(/^:[a-z_]+: /, '')
    .replace(/<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[\dTZ:.-]+>/, '');
}

const HOSTILE = 'user *admin* logged in as _root_ via `sudo` ~now~ <!channel> & <http://evil|click>';

describe('log text in a Slack message is never live mrkdwn', () => {
  const hostile = alert({
    service: 'pay*ments_svc',
    template: HOSTILE,
    description: `New ERROR pattern in pay*ments_svc, the first pattern it has logged: '${HOSTILE}'`,
    samples: [`${HOSTILE} \`\`\` closing fence`],
  });

  it('sets formatting characters of the reason, template, service and samples inside code, and escapes &, < and >', () => {
    const texts = mrkdwnTexts(buildSlackMessage(hostile));
    expect(texts.length).toBeGreaterThanOrEqual(8);
    for (const text of texts) {
      expect(liveParts(text)).not.toMatch(/[*_~`<>]/);
      expect(liveParts(text).replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      // Inside code too, < and > stay escaped: no link or mention can form.
      expect(text).not.toMatch(/<!channel>|<http/);
    }
  });

  it('keeps the words readable: only the words holding formatting characters become code', () => {
    expect(literalMrkdwn('user *admin* logged in as _root_ & co')).toBe('user `*admin*` logged in as `_root_` &amp; co');
    expect(literalMrkdwn('ran `rm -rf`')).toBe('ran `\u02cbrm` `-rf\u02cb`');
  });

  it('asks Slack not to linkify the sections that hold log text, and sends the fallback text unformatted', () => {
    const payload = buildSlackMessage(hostile);
    expect(payload.mrkdwn).toBe(false);
    const sections = payload.blocks.filter((b) => (b as { type: string; text?: { type: string } }).text?.type === 'mrkdwn');
    expect(sections.length).toBeGreaterThanOrEqual(3);
    for (const s of sections) expect((s as { text: { verbatim: boolean } }).text.verbatim).toBe(true);
  });

  it('cuts a long template before setting it in code, so the code span is always closed', () => {
    const payload = buildSlackMessage(alert({ template: '*bold* _it_ '.repeat(600), description: '~x~ '.repeat(2000) }));
    for (const text of mrkdwnTexts(payload)) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(liveParts(text)).not.toMatch(/[*_~`]/);
    }
  });
});

describe('severity and Retry-After', () => {
  it('maps scores to severities above the configured thresholds', () => {
    const t = { criticalScore: 0.8, warningScore: 0.6 };
    expect([0.95, 0.81, 0.8, 0.61, 0.6, 0.1].map((s) => severityFor(s, t))).toEqual(['critical', 'critical', 'warning', 'warning', 'info', 'info']);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

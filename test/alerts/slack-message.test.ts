import { describe, expect, it } from 'vitest';
import { severityFor, type AlertMessage } from '../../src/alerts/alert.js';
import { buildSlackMessage, escapeMrkdwn } from '../../src/alerts/slack-message.js';
import { parseRetryAfter } from '../../src/alerts/slack.js';

function alert(over: Partial<AlertMessage> = {}): AlertMessage {
  return {
    id: 'alert:a1', createdAt: 1_764_000_000_000, severity: 'critical', title: 'New ERROR pattern in payment-gateway',
    description: 'A new ERROR pattern appeared in payment-gateway.', service: 'payment-gateway', patternId: 'p-1',
    kind: 'new_pattern', template: 'charge failed for <HEX>', score: 0.93, traceId: '0af7651916cd43dd8448eb211c80319c',
    anomalyCount: 2, recordCount: 5, firstSeen: 1_764_000_000_000, lastSeen: 1_764_000_001_000,
    samples: ['charge failed for 4f3a'], parentId: null, ...over,
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

import { describe, expect, it } from 'vitest';
import { alertLabel, labelText, type AlertMessage } from '../../src/alert.js';
import { followupIdOf, foldIntoFollowup, incidentIdFor, TOP_GROUPED, type IncidentRef } from '../../src/incident.js';
import { buildSlackMessage } from '../../src/alerts/slack-message.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const T0 = 1_764_000_000_000;
const incident: IncidentRef = { id: 'incident:a0', service: 'fulfilment', firstAlertId: 'alert:a0', openedAt: T0, closesAt: T0 + 60_000 };

function alert(n: number, over: Partial<AlertMessage> = {}): AlertMessage {
  return {
    id: `alert:a${n}`, createdAt: T0 + n, severity: 'warning', title: `New ERROR pattern in fulfilment`,
    description: 'A new ERROR pattern appeared in fulfilment.', service: 'fulfilment', patternId: `p${n}`, kind: 'new_pattern',
    level: 'error', template: `failure number ${n} in <*>`, score: 0.6 + n / 100, traceId: '', anomalyCount: 1, recordCount: 2,
    firstSeen: T0 + n, lastSeen: T0 + n, samples: [`failure number ${n} in shelf`], parentId: null, incidentId: `incident:a${n}`,
    digest: null, ...over,
  };
}

function fold(alerts: AlertMessage[]): AlertMessage {
  let followup: AlertMessage | undefined;
  for (const a of alerts) followup = foldIntoFollowup(followup, a, incident, T0 + 5_000);
  return followup!;
}

describe('ANOMALOG_INCIDENT_WINDOW', () => {
  it('defaults to 60 s, takes durations like the other duration settings, 0 to turn incidents off, and names itself when bad', () => {
    expect(loadConfig({}).alerts.incidentWindowMs).toBe(60_000);
    expect(loadConfig({ ANOMALOG_INCIDENT_WINDOW: '2m' }).alerts.incidentWindowMs).toBe(120_000);
    expect(loadConfig({ ANOMALOG_INCIDENT_WINDOW: '15' }).alerts.incidentWindowMs).toBe(15_000);
    expect(loadConfig({ ANOMALOG_INCIDENT_WINDOW: '0' }).alerts.incidentWindowMs).toBe(0);
    for (const bad of ['soon', '-5s', '2d']) {
      expect(() => loadConfig({ ANOMALOG_INCIDENT_WINDOW: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ANOMALOG_INCIDENT_WINDOW: bad })).toThrow(/ANOMALOG_INCIDENT_WINDOW/);
    }
  });
});

describe('incident follow-up', () => {
  it('derives incident and follow-up ids from the opening alert, so a redelivered batch finds the same incident', () => {
    expect(incidentIdFor('alert:abc')).toBe('incident:abc');
    expect(incidentIdFor('alert:abc:followup')).toBe('incident:abc:followup');
    expect(followupIdOf('incident:abc')).toBe('incident:abc:followup');
  });

  it('counts every held alert, lists the top ones by score and speaks with the highest-scored one', () => {
    const held = Array.from({ length: 29 }, (_, i) => alert(i + 1));
    const followup = fold(held);
    expect(followup).toMatchObject({
      id: 'incident:a0:followup',
      incidentId: 'incident:a0',
      parentId: 'alert:a0',
      title: '+29 new error patterns in fulfilment',
      service: 'fulfilment',
      anomalyCount: 29,
      recordCount: 58,
      firstSeen: T0 + 1,
      lastSeen: T0 + 29,
      patternId: 'p29',
      template: 'failure number 29 in <*>',
    });
    expect(followup.score).toBeCloseTo(0.89);
    expect(followup.digest!.alerts).toBe(29);
    expect(followup.digest!.counts).toEqual({ 'new_pattern:error': 29 });
    expect(followup.digest!.top.map((g) => g.patternId)).toEqual(['p29', 'p28', 'p27', 'p26', 'p25']);
    expect(followup.digest!.top).toHaveLength(TOP_GROUPED);
    expect(followup.description).toContain('29 new error patterns in fulfilment');
    expect(followup.samples).toEqual(['failure number 27 in shelf', 'failure number 28 in shelf', 'failure number 29 in shelf']);
  });

  it('takes the highest severity of what it reports and names mixed kinds by their counts', () => {
    const followup = fold([
      alert(1, { severity: 'info', score: 0.5 }),
      alert(2, { severity: 'critical', score: 0.95, kind: 'frequency_spike' }),
      alert(3, { severity: 'warning', score: 0.7 }),
      alert(4, { severity: 'warning', parentId: 'alert:x', score: 0.65 }),
    ]);
    expect(followup.severity).toBe('critical');
    expect(followup.kind).toBe('frequency_spike');
    expect(followup.title).toBe('+4 more alerts in fulfilment');
    expect(followup.description).toMatch(/^2 new error patterns, 1 frequency spike, 1 pattern still growing in fulfilment/);
  });

  it('labels alerts by kind and level, and pluralises them', () => {
    expect(alertLabel(alert(1))).toBe('new_pattern:error');
    expect(alertLabel(alert(1, { level: '' }))).toBe('new_pattern');
    expect(alertLabel(alert(1, { level: 'info' }))).toBe('new_pattern');
    expect(alertLabel(alert(1, { parentId: 'alert:x' }))).toBe('growing');
    expect(labelText('new_pattern:warn', 2)).toBe('new warn patterns');
    expect(labelText('new_pattern', 1)).toBe('new pattern');
    expect(labelText('pattern_limit', 1)).toBe('pattern limit reached');
  });

  it('renders the follow-up for Slack with the top alerts listed and their log text inert', () => {
    const hostile = '<!channel> *bold* `tick` <https://evil.example|click> & more';
    const followup = fold([alert(1), alert(2, { template: hostile, score: 0.99 })]);
    const payload = buildSlackMessage(followup);
    const header = payload.blocks[0] as { text: { text: string } };
    expect(header.text.text).toBe('WARNING · +2 new error patterns in fulfilment');
    const list = payload.blocks.find((b) => JSON.stringify(b).includes('Top alerts by score')) as { text: { text: string; verbatim: boolean } };
    expect(list.text.verbatim).toBe(true);
    const lines = list.text.text.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^• 0\.99 · new error pattern · `/);
    expect(lines[1]).toContain('0.61 · new error pattern · `failure number 1 in &lt;*&gt;`');
    // Inside one code span, with <, > and & escaped and the backtick replaced: no mention, link or formatting.
    expect(lines[0]).toContain('&lt;!channel&gt; *bold* ˋtickˋ &lt;https://evil.example|click&gt; &amp; more');
    expect(lines[0]!.match(/`/g)).toHaveLength(2);
    const all = JSON.stringify(payload.blocks);
    expect(all).toContain('2 alerts · 2 anomalies · 4 records');
    expect(all).toContain('incident incident:a0');
  });
});

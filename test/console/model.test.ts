/** The console's pure decisions (src/console/web/model.ts), run under Node. */
import { describe, expect, it } from 'vitest';
import {
  groupByIncident,
  levelsFrom,
  mergeAnomalies,
  parseRoute,
  routeHash,
  sparkPoints,
  traceLink,
} from '../../src/console/web/model.js';
import type { AnomalyView } from '../../src/console/api-types.js';

function item(id: string, detectedAt: number, incidentId?: string | null): AnomalyView {
  return {
    id, detectedAt, timestamp: detectedAt, service: 'checkout', level: 'error', kind: 'new_pattern', patternId: 'p',
    template: 't', message: 'm', score: 0.5, reason: 'r', traceId: '', spanId: '', count: 1, incidentId: incidentId ?? null,
  };
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('console model', () => {
  it('merges polled anomalies into the list newest first, replacing rows seen again and naming the new ones', () => {
    const known = [item('b', 200), item('a', 100)];
    const { items, added, changed } = mergeAnomalies(known, [item('c', 300), { ...item('b', 200), count: 7 }, item('d', 200)]);
    expect(items.map((a) => a.id)).toEqual(['c', 'd', 'b', 'a']);
    expect(items.find((a) => a.id === 'b')!.count).toBe(7);
    expect(added).toEqual(['c', 'd']);
    expect(changed).toBe(true);
    // Seen again as it was: nothing to redraw. Seen again in an incident: redraw.
    expect(mergeAnomalies(known, [item('b', 200)])).toMatchObject({ added: [], changed: false });
    expect(mergeAnomalies(known, [item('b', 200, 'inc-9')])).toMatchObject({ added: [], changed: true });
  });

  it('groups the anomalies of one incident in the place of its newest, and leaves the others alone', () => {
    const groups = groupByIncident([item('x', 500, 'inc-1'), item('y', 400), item('z', 300, 'inc-1'), item('w', 200, null), item('v', 100, 'inc-2')]);
    expect(groups.map((g) => [g.key, g.incidentId, g.items.map((a) => a.id)])).toEqual([
      ['i:inc-1', 'inc-1', ['x', 'z']],
      ['a:y', null, ['y']],
      ['a:w', null, ['w']],
      ['i:inc-2', 'inc-2', ['v']],
    ]);
    // Before incident grouping exists, every anomaly stands alone.
    expect(groupByIncident([item('p', 2), item('q', 1)]).map((g) => g.items.length)).toEqual([1, 1]);
  });

  it('fills the trace URL with the ids, and links nothing without a template, a valid trace id or an http(s) result', () => {
    expect(traceLink('https://grafana.example/explore?traceId={traceId}&span={spanId}', TRACE, SPAN)).toBe(
      `https://grafana.example/explore?traceId=${TRACE}&span=${SPAN}`,
    );
    expect(traceLink('https://t.example/trace/{traceId}', TRACE, '')).toBe(`https://t.example/trace/${TRACE}`);
    expect(traceLink('https://t.example/?s={spanId}&t={traceId}', TRACE, '"><script>')).toBe(`https://t.example/?s=&t=${TRACE}`);
    expect(traceLink(null, TRACE, SPAN)).toBeNull();
    expect(traceLink('https://t.example/{traceId}', '', SPAN)).toBeNull();
    expect(traceLink('https://t.example/{traceId}', 'javascript:alert(1)', SPAN)).toBeNull();
    expect(traceLink('{traceId}', TRACE, SPAN)).toBeNull();
  });

  it('picks the levels at or above the chosen one', () => {
    expect(levelsFrom('error')).toEqual(['error', 'fatal']);
    expect(levelsFrom('warn')).toEqual(['warn', 'error', 'fatal']);
    expect(levelsFrom('')).toEqual([]);
  });

  it('draws a sparkline from the first to the last window, the highest count at the top', () => {
    expect(sparkPoints([0, 5, 10], 100, 22)).toBe('0,21 50,11 100,1');
    expect(sparkPoints([0, 0], 10, 12)).toBe('0,11 10,11');
    expect(sparkPoints([], 10, 10)).toBe('');
  });

  it('reads and writes routes with their parameters, odd characters included', () => {
    const hash = routeHash(['patterns'], { service: 'a&b=<c>', empty: '' });
    expect(hash).toBe('#/patterns?service=a%26b%3D%3Cc%3E');
    const { path, params } = parseRoute(hash);
    expect(path).toEqual(['patterns']);
    expect(params.get('service')).toBe('a&b=<c>');
    expect(parseRoute(routeHash(['anomalies', 'id/with?odd#chars'])).path).toEqual(['anomalies', 'id/with?odd#chars']);
    expect(parseRoute('').path).toEqual([]);
    expect(parseRoute('#main').path).toEqual([]);
  });
});

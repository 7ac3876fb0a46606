/**
 * The console's data and the pure decisions about it: merging live updates,
 * grouping by incident, filters, trace links, sparkline points. No DOM here,
 * so the tests run it under Node. The shapes of the API's answers are the
 * server's own (../api-types.ts); levels and kinds come from the leaf domain
 * modules, which hold no Node code.
 */
import type { AnomalyKind } from '../../anomaly.js';
import { LEVELS } from '../../log-entry.js';
import type { AnomalyView } from '../api-types.js';

export { LEVELS };

/** What GET /api/anomalies answers. */
export interface AnomalyPage {
  anomalies: AnomalyView[];
  /** Where the next (older) page starts; null when there is none. */
  next: { before: number; beforeId: string } | null;
}

export const KINDS = ['new_pattern', 'frequency_spike', 'pattern_limit'] as const satisfies readonly AnomalyKind[];

/** The levels at or above `min` (all when it is not a level). */
export function levelsFrom(min: string): string[] {
  const at = (LEVELS as readonly string[]).indexOf(min);
  return at < 0 ? [] : LEVELS.slice(at);
}

/** Newest first, ties by id descending: the API's order. */
function byNewest(a: AnomalyView, b: AnomalyView): number {
  return b.detectedAt - a.detectedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Adds fresh rows to the known ones (a row seen again is replaced): the list in
 * order, the ids that are new, and whether anything shown differs (a row seen
 * again may have changed, say when it joined an incident).
 */
export function mergeAnomalies(known: readonly AnomalyView[], fresh: readonly AnomalyView[]): { items: AnomalyView[]; added: string[]; changed: boolean } {
  const byId = new Map(known.map((a) => [a.id, a]));
  const added: string[] = [];
  let changed = false;
  for (const a of fresh) {
    const before = byId.get(a.id);
    if (!before) added.push(a.id);
    else if (!changed && JSON.stringify(before) !== JSON.stringify(a)) changed = true;
    byId.set(a.id, a);
  }
  return { items: [...byId.values()].sort(byNewest), added, changed: changed || added.length > 0 };
}

export interface IncidentGroup {
  /** Unique among the groups: the incident's id, or the anomaly's own for one outside any incident. */
  key: string;
  incidentId: string | null;
  items: AnomalyView[];
}

/**
 * Anomalies of one incident together, in the place of its newest one; an
 * anomaly without an incident is a group of its own. Order kept otherwise.
 */
export function groupByIncident(items: readonly AnomalyView[]): IncidentGroup[] {
  const groups: IncidentGroup[] = [];
  const byIncident = new Map<string, IncidentGroup>();
  for (const item of items) {
    const incident = item.incidentId;
    if (incident === null || incident === '') {
      groups.push({ key: `a:${item.id}`, incidentId: null, items: [item] });
      continue;
    }
    let group = byIncident.get(incident);
    if (!group) {
      group = { key: `i:${incident}`, incidentId: incident, items: [] };
      byIncident.set(incident, group);
      groups.push(group);
    }
    group.items.push(item);
  }
  return groups;
}

const TRACE_ID = /^[0-9a-f]{32}$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;

/**
 * ANOMALOG_TRACE_URL with the ids filled in, or null: no template, no valid
 * trace id, or a result that is not an http(s) URL (so never javascript:).
 */
export function traceLink(template: string | null, traceId: string, spanId: string): string | null {
  if (!template || !TRACE_ID.test(traceId)) return null;
  const span = SPAN_ID.test(spanId) ? spanId : '';
  const filled = template.replaceAll('{traceId}', encodeURIComponent(traceId)).replaceAll('{spanId}', encodeURIComponent(span));
  try {
    const url = new URL(filled);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Polyline points for counts in a width × height box (y grows downwards), one step per count. */
export function sparkPoints(counts: readonly number[], width: number, height: number): string {
  if (counts.length === 0) return '';
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? width / (counts.length - 1) : 0;
  const round = (n: number) => Math.round(n * 10) / 10;
  return counts.map((n, i) => `${round(i * step)},${round(height - 1 - (n / max) * (height - 2))}`).join(' ');
}

/** `name=value&…` of a route's hash (`#/anomalies?service=a`) ↔ its parts. */
export function parseRoute(hash: string): { path: string[]; params: URLSearchParams } {
  const text = hash.startsWith('#/') ? hash.slice(2) : '';
  const q = text.indexOf('?');
  const path = (q < 0 ? text : text.slice(0, q)).split('/').filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  return { path, params: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)) };
}

export function routeHash(path: string[], params?: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) query.set(k, v);
  const q = query.toString();
  return `#/${path.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

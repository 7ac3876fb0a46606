/**
 * The anomalies list: newest first, filtered by service, kind, level and time
 * range (kept in the address, so a view can be bookmarked), kept live by
 * polling, grouped by incident when the anomalies carry one.
 */
import type { AnomalyView, ServiceView } from '../api-types.js';
import type { Context, View } from './context.js';
import { h, levelBadge, replaceContent, timeEl } from './dom.js';
import { countOf, formatCount, formatScore, formatTime, kindLabel, RANGES } from './format.js';
import {
  groupByIncident,
  KINDS,
  LEVELS,
  levelsFrom,
  mergeAnomalies,
  routeHash,
  type AnomalyPage,
  type IncidentGroup,
} from './model.js';

const PAGE = 200;
/** Rows kept in the page: past this the oldest go, and "Load older" fetches them again. */
const MAX_ROWS = 2000;
const POLL_MS = 2000;
/** Each poll asks again for this much before the newest row, so a row committed late (by another worker) is not missed. */
const OVERLAP_MS = 60_000;
const COLUMNS = 7;

interface Filters {
  service: string;
  kind: string;
  /** The lowest level shown ('' for all). */
  level: string;
  range: string;
  live: boolean;
}

function filtersOf(params: URLSearchParams): Filters {
  return {
    service: params.get('service') ?? '',
    kind: params.get('kind') ?? '',
    level: params.get('level') ?? '',
    range: params.get('range') ?? '24h',
    live: params.get('live') !== 'off',
  };
}

function hashOf(f: Filters): string {
  return routeHash(['anomalies'], { service: f.service, kind: f.kind, level: f.level, range: f.range === '24h' ? undefined : f.range, live: f.live ? undefined : 'off' });
}

/** The oldest detection time in range, or undefined for all time. */
function rangeStart(f: Filters, now: number): number | undefined {
  const ms = RANGES.find(([key]) => key === f.range)?.[2] ?? 86_400_000;
  return ms === 0 ? undefined : now - ms;
}

function apiPath(f: Filters, extra: Record<string, string>): string {
  const q = new URLSearchParams({ view: 'brief', ...extra });
  if (f.service) q.set('service', f.service);
  if (f.kind) q.set('kind', f.kind);
  const levels = levelsFrom(f.level);
  if (levels.length > 0) q.set('level', levels.join(','));
  return `/api/anomalies?${q}`;
}

/** A class-name-safe form of a kind. */
const kindClass = (kind: string) => kind.replace(/[^a-z_]/g, '');

/** A labelled <select>; `onChange` gets its new value. */
function choice(name: string, label: string, options: ReadonlyArray<readonly [string, string]>, current: string, onChange: (value: string) => void): { field: HTMLElement; select: HTMLSelectElement } {
  const select = h('select', { name, id: `filter-${name}`, 'data-key': `filter-${name}` },
    ...options.map(([value, text]) => h('option', { value, selected: value === current }, text)));
  select.addEventListener('change', () => onChange(select.value));
  return { field: h('label', { class: 'field' }, h('span', null, label), select), select };
}

export function anomaliesView(ctx: Context, params: URLSearchParams): View {
  const f = filtersOf(params);
  let items: AnomalyView[] = [];
  let next: AnomalyPage['next'] = null;
  /** Ids that arrived by a poll since the list was loaded: shown highlighted. */
  const fresh = new Set<string>();
  const expanded = new Set<string>();
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  let shownOnce = false;

  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  const older = h('button', { type: 'button', class: 'older', 'data-key': 'older', hidden: true, onclick: () => void loadOlder() }, 'Load older anomalies');

  const changed = (apply: (value: string) => void) => (value: string) => {
    apply(value);
    history.replaceState(null, '', hashOf(f));
    void reload();
  };
  const service = choice('service', 'Service', [['', 'All services']], f.service, changed((v) => (f.service = v)));
  const kind = choice('kind', 'Kind', [['', 'Any kind'], ...KINDS.map((k) => [k, kindLabel(k)] as const)], f.kind, changed((v) => (f.kind = v)));
  const level = choice('level', 'Level', [['', 'Any level'], ...LEVELS.slice(1).map((l) => [l, `${l} and above`] as const)], f.level, changed((v) => (f.level = v)));
  const range = choice('range', 'Time range', RANGES.map(([key, text]) => [key, text] as const), f.range, changed((v) => (f.range = v)));
  const liveBox = h('input', { type: 'checkbox', id: 'filter-live', 'data-key': 'filter-live', checked: f.live });
  liveBox.addEventListener('change', () => {
    f.live = liveBox.checked;
    history.replaceState(null, '', hashOf(f));
    ctx.announce(f.live ? 'Live updates on' : 'Live updates paused');
    render();
    schedule();
  });

  replaceContent(
    ctx.main,
    h('h1', { tabindex: -1 }, 'Anomalies'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter anomalies', onsubmit: (e: Event) => e.preventDefault() },
      service.field, kind.field, level.field, range.field,
      h('label', { class: 'field check' }, liveBox, h('span', null, 'Live'))),
    summary,
    h('table', { class: 'anomalies' },
      h('caption', { class: 'visually-hidden' }, 'Anomalies, newest first'),
      h('thead', null, h('tr', null, ...['Detected', 'Service', 'Kind', 'Level', 'Score', 'Records', 'Pattern'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
    older,
  );

  void loadServices();
  void reload();

  async function loadServices(): Promise<void> {
    try {
      const { services } = await ctx.api.get<{ services: ServiceView[] }>('/api/services');
      const names = services.map((s) => s.service);
      if (f.service && !names.includes(f.service)) names.push(f.service);
      service.select.append(...names.map((name) => h('option', { value: name, selected: name === f.service }, name)));
    } catch (error) {
      ctx.fail('Loading the services', error);
    }
  }

  async function reload(): Promise<void> {
    const gen = ++generation;
    clearTimeout(timer);
    const since = rangeStart(f, Date.now());
    try {
      const page = await ctx.api.get<AnomalyPage>(apiPath(f, { limit: String(PAGE), ...(since === undefined ? {} : { since: String(since) }) }));
      if (gen !== generation || disposed) return;
      items = page.anomalies;
      next = page.next;
      fresh.clear();
      render();
      if (!shownOnce) {
        shownOnce = true;
        performance.mark('anomalog:anomalies-shown');
      }
    } catch (error) {
      if (gen === generation && !disposed) ctx.fail('Loading anomalies', error);
    }
    schedule();
  }

  async function poll(): Promise<void> {
    const gen = generation;
    const start = rangeStart(f, Date.now());
    const newest = items[0]?.detectedAt;
    const since = Math.max(start ?? 0, newest === undefined ? 0 : newest - OVERLAP_MS);
    try {
      const page = await ctx.api.get<AnomalyPage>(apiPath(f, { limit: String(newest === undefined ? PAGE : 1000), ...(since > 0 ? { since: String(since) } : {}) }));
      if (gen !== generation || disposed) return;
      const merged = mergeAnomalies(items, page.anomalies);
      keep(merged.items);
      if (merged.added.length > 0) {
        for (const id of merged.added) fresh.add(id);
        ctx.announce(merged.added.length === 1 ? '1 new anomaly' : `${merged.added.length} new anomalies`);
      }
      // Rebuilding the rows only when they change keeps a selection or a screen reader's place.
      render(merged.changed);
    } catch (error) {
      if (!disposed) ctx.fail('Updating anomalies', error);
    }
    schedule();
  }

  async function loadOlder(): Promise<void> {
    if (!next) return;
    const gen = generation;
    try {
      const since = rangeStart(f, Date.now());
      const page = await ctx.api.get<AnomalyPage>(
        apiPath(f, { limit: String(PAGE), before: String(next.before), beforeId: next.beforeId, ...(since === undefined ? {} : { since: String(since) }) }),
      );
      if (gen !== generation || disposed) return;
      next = page.next;
      keep(mergeAnomalies(items, page.anomalies).items);
      render();
    } catch (error) {
      ctx.fail('Loading older anomalies', error);
    }
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    if (disposed || !f.live) return;
    timer = setTimeout(() => {
      // A hidden tab does not poll; it catches up when shown.
      if (document.hidden) schedule();
      else void poll();
    }, POLL_MS);
  }

  /** Keeps the newest MAX_ROWS; the next page then starts after the last one kept. */
  function keep(list: AnomalyView[]): void {
    items = list.slice(0, MAX_ROWS);
    const last = items.at(-1);
    if (list.length > MAX_ROWS && last) next = { before: last.detectedAt, beforeId: last.id };
  }

  /** `rows` false: only the summary, unless the time range has dropped some rows. */
  function render(rows = true): void {
    const now = Date.now();
    const start = rangeStart(f, now);
    const shown = start === undefined ? items : items.filter((a) => a.detectedAt >= start);
    if (rows || shown.length !== items.length) renderRows(shown, now);
    items = shown;
    summary.textContent = `${countOf(shown.length, 'anomaly', 'anomalies')} shown${next ? ' (older ones below)' : ''} · ${f.live ? 'live' : 'paused'} · updated ${formatTime(now, now)}`;
    older.hidden = next === null;
  }

  function renderRows(shown: AnomalyView[], now: number): void {
    const rows: HTMLTableRowElement[] = [];
    for (const group of groupByIncident(shown)) {
      if (group.incidentId === null || group.items.length === 1) {
        rows.push(row(group.items[0]!, now, false));
        continue;
      }
      const open = expanded.has(group.key);
      rows.push(incidentRow(group, open, now));
      for (const item of group.items) {
        const member = row(item, now, true);
        member.hidden = !open;
        rows.push(member);
      }
    }
    if (rows.length === 0) rows.push(h('tr', null, h('td', { colspan: COLUMNS, class: 'empty' }, 'No anomalies match these filters in this time range.')));
    replaceContent(body, ...rows);
  }

  function row(a: AnomalyView, now: number, member: boolean): HTMLTableRowElement {
    const classes = [member ? 'member' : '', fresh.has(a.id) ? 'fresh' : ''].filter(Boolean).join(' ');
    return h('tr', { class: classes || undefined, 'data-id': a.id },
      h('td', null, timeEl(a.detectedAt, formatTime(a.detectedAt, now))),
      h('td', null, a.service),
      h('td', null, h('span', { class: `kind kind-${kindClass(a.kind)}` }, kindLabel(a.kind))),
      h('td', null, levelBadge(a.level)),
      h('td', { class: 'num' }, formatScore(a.score)),
      h('td', { class: 'num' }, formatCount(a.count)),
      h('td', { class: 'pattern' }, h('a', { href: routeHash(['anomalies', a.id]), 'data-key': `a:${a.id}`, class: 'log' }, a.template || a.message)),
    );
  }

  function incidentRow(group: IncidentGroup, open: boolean, now: number): HTMLTableRowElement {
    const newest = group.items[0]!;
    const oldest = group.items.at(-1)!;
    const services = [...new Set(group.items.map((a) => a.service))].join(', ');
    const toggle = h('button', { type: 'button', class: 'toggle', 'aria-expanded': String(open), 'data-key': group.key, onclick: () => {
      if (expanded.has(group.key)) expanded.delete(group.key);
      else expanded.add(group.key);
      render();
    } }, `${open ? '▾' : '▸'} Incident: ${group.items.length} anomalies in ${services}`);
    return h('tr', { class: `incident${group.items.some((a) => fresh.has(a.id)) ? ' fresh' : ''}` },
      h('td', { colspan: COLUMNS },
        toggle,
        h('span', { class: 'incident-span' }, ' from ', timeEl(oldest.detectedAt, formatTime(oldest.detectedAt, now)), ' to ', timeEl(newest.detectedAt, formatTime(newest.detectedAt, now)), ' · newest: '),
        h('span', { class: 'log' }, newest.template || newest.message)));
  }

  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

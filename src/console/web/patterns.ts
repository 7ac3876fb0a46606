/**
 * A service's patterns: template, level, count, first and last seen, a
 * sparkline of its recent window counts, and mute (for a chosen time) or
 * unmute through the same API as `anomalog mute|unmute`.
 */
import type { Context, View } from './context.js';
import { focusKey, h, levelBadge, replaceContent, svg, timeEl } from './dom.js';
import { countOf, formatCount, formatTime, MUTE_DURATIONS } from './format.js';
import type { PatternView, ServiceView } from '../api-types.js';
import { routeHash, sparkPoints } from './model.js';

const WINDOWS = 30;
const SPARK = { width: 120, height: 24 };
const COLUMNS = 8;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function patternsView(ctx: Context, params: URLSearchParams): View {
  let service = params.get('service') ?? '';
  let patterns: PatternView[] = [];
  let windowSeconds = ctx.settings.windowSeconds;
  let disposed = false;
  /** The duration picked per pattern, kept across reloads of the table. */
  const picked = new Map<string, string>();

  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  const select = h('select', { id: 'patterns-service', 'data-key': 'patterns-service' });
  select.addEventListener('change', () => {
    service = select.value;
    history.replaceState(null, '', routeHash(['patterns'], { service }));
    void load();
  });
  const refresh = h('button', { type: 'button', 'data-key': 'refresh', onclick: () => void load() }, 'Refresh');

  replaceContent(
    ctx.main,
    h('h1', { tabindex: -1 }, 'Patterns'),
    h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() }, h('label', { class: 'field' }, h('span', null, 'Service'), select), refresh),
    summary,
    h('table', { class: 'patterns' },
      h('caption', { class: 'visually-hidden' }, 'Patterns of the service, most recently seen first'),
      h('thead', null, h('tr', null, ...['Template', 'Level', 'Records', 'First seen', 'Last seen', 'Recent', 'Muted', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
  );
  void start();

  async function start(): Promise<void> {
    let services: ServiceView[];
    try {
      ({ services } = await ctx.api.get<{ services: ServiceView[] }>('/api/services'));
    } catch (error) {
      ctx.fail('Loading the services', error);
      return;
    }
    if (disposed) return;
    const names = services.map((s) => s.service);
    if (service && !names.includes(service)) names.unshift(service);
    if (!service && names[0] !== undefined) service = names[0];
    select.append(...names.map((name) => h('option', { value: name, selected: name === service }, name)));
    if (!service) {
      summary.textContent = 'No services have sent logs yet.';
      return;
    }
    await load();
  }

  async function load(): Promise<void> {
    const asked = service;
    try {
      const answer = await ctx.api.get<{ patterns: PatternView[]; windowSeconds: number }>(
        `/api/patterns?${new URLSearchParams({ service: asked, windows: String(WINDOWS) })}`,
      );
      if (disposed || asked !== service) return;
      patterns = answer.patterns;
      windowSeconds = answer.windowSeconds;
      render();
    } catch (error) {
      if (!disposed) ctx.fail('Loading the patterns', error);
    }
  }

  function render(): void {
    const now = Date.now();
    const rows = patterns.map((p) => row(p, now));
    if (rows.length === 0) rows.push(h('tr', null, h('td', { colspan: COLUMNS, class: 'empty' }, 'No patterns for this service.')));
    replaceContent(body, ...rows);
    summary.textContent = `${countOf(patterns.length, 'pattern')} in ${service} · updated ${formatTime(now, now)}`;
  }

  function sparkline(counts: number[]): SVGSVGElement {
    const label = `Records per ${windowSeconds} s window, last ${counts.length} windows: ${counts.join(', ')}`;
    return svg('svg', { class: 'spark', width: SPARK.width, height: SPARK.height, viewBox: `0 0 ${SPARK.width} ${SPARK.height}`, role: 'img', 'aria-label': label },
      svg('title', null, label),
      svg('polyline', { points: sparkPoints(counts, SPARK.width, SPARK.height) }));
  }

  function mutedCell(p: PatternView, now: number): HTMLElement {
    if (!p.muted || (p.mutedUntil !== null && p.mutedUntil <= now)) return h('td', { class: 'none' }, 'no');
    if (p.mutedUntil === null) return h('td', { class: 'muted' }, 'until unmuted');
    return h('td', { class: 'muted' }, 'until ', timeEl(p.mutedUntil, formatTime(p.mutedUntil, now)));
  }

  function actions(p: PatternView, now: number): HTMLElement {
    const name = cut(p.template, 80);
    if (p.muted && (p.mutedUntil === null || p.mutedUntil > now)) {
      return h('td', { class: 'actions' },
        h('button', { type: 'button', 'data-key': `unmute:${p.id}`, 'aria-label': `Unmute ${name}`, onclick: () => void unmute(p) }, 'Unmute'));
    }
    const id = `mute-for-${p.id}`;
    const current = picked.get(p.id) ?? MUTE_DURATIONS[0]![0];
    const duration = h('select', { id, 'data-key': id },
      ...MUTE_DURATIONS.map(([key, label]) => h('option', { value: key, selected: key === current }, label)));
    duration.addEventListener('change', () => picked.set(p.id, duration.value));
    return h('td', { class: 'actions' },
      h('label', { for: id, class: 'visually-hidden' }, `Mute ${name} for`),
      duration,
      h('button', { type: 'button', 'data-key': `mute:${p.id}`, 'aria-label': `Mute ${name}`, onclick: () => void mute(p, duration.value) }, 'Mute'));
  }

  function row(p: PatternView, now: number): HTMLTableRowElement {
    return h('tr', { 'data-id': p.id },
      h('td', { class: 'pattern' }, h('code', { class: 'log' }, p.template)),
      h('td', null, levelBadge(p.level)),
      h('td', { class: 'num' }, formatCount(p.count)),
      h('td', null, timeEl(p.firstSeen, formatTime(p.firstSeen, now))),
      h('td', null, timeEl(p.lastSeen, formatTime(p.lastSeen, now))),
      h('td', null, p.recentCounts ? sparkline(p.recentCounts) : ''),
      mutedCell(p, now),
      actions(p, now),
    );
  }

  async function mute(p: PatternView, key: string): Promise<void> {
    const ms = MUTE_DURATIONS.find(([k]) => k === key)?.[2];
    const until = ms === undefined || ms === null ? null : Date.now() + ms;
    try {
      await ctx.api.send('POST', `/api/patterns/${encodeURIComponent(p.id)}/mute`, { until });
      ctx.announce(`Muted ${cut(p.template, 80)} ${until === null ? 'until unmuted' : `until ${formatTime(until, Date.now())}`}`);
    } catch (error) {
      ctx.fail('Muting the pattern', error);
      return;
    }
    await load();
    focusKey(body, `unmute:${p.id}`);
  }

  async function unmute(p: PatternView): Promise<void> {
    try {
      await ctx.api.send('DELETE', `/api/patterns/${encodeURIComponent(p.id)}/mute`);
      ctx.announce(`Unmuted ${cut(p.template, 80)}`);
    } catch (error) {
      ctx.fail('Unmuting the pattern', error);
      return;
    }
    await load();
    focusKey(body, `mute:${p.id}`);
  }

  return {
    dispose() {
      disposed = true;
    },
  };
}

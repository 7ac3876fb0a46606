/** Every service: learning state, pattern count, last record; refreshed while shown. */
import type { Context, View } from './context.js';
import { h, replaceContent, timeEl } from './dom.js';
import { countOf, formatAge, formatCount, formatTime } from './format.js';
import type { ServiceView } from '../api-types.js';
import { routeHash } from './model.js';

const REFRESH_MS = 10_000;

function state(s: ServiceView, now: number): HTMLElement {
  if (!s.known) return h('span', { class: 'state forgotten', title: 'Idle past ANOMALOG_SERVICE_IDLE_TTL: its patterns were forgotten' }, 'forgotten (idle)');
  if (s.learned) return h('span', { class: 'state learned' }, 'learned');
  if (s.learningUntil === null) return h('span', { class: 'state learning' }, 'learning');
  return h('span', { class: 'state learning' }, 'learning until ', timeEl(s.learningUntil, formatTime(s.learningUntil, now)), ` (${formatAge(s.learningUntil, now)})`);
}

export function servicesView(ctx: Context): View {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const body = h('tbody');
  const summary = h('p', { class: 'summary' });
  replaceContent(
    ctx.main,
    h('h1', { tabindex: -1 }, 'Services'),
    summary,
    h('table', { class: 'services' },
      h('caption', { class: 'visually-hidden' }, 'Services by name'),
      h('thead', null, h('tr', null, ...['Service', 'State', 'Patterns', 'Last record'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
  );
  void load();

  async function load(): Promise<void> {
    try {
      const { services } = await ctx.api.get<{ services: ServiceView[] }>('/api/services');
      if (disposed) return;
      const now = Date.now();
      const rows = services.map((s) =>
        h('tr', { 'data-id': s.service },
          h('td', null, h('a', { href: routeHash(['patterns'], { service: s.service }), 'data-key': `s:${s.service}` }, s.service)),
          h('td', null, state(s, now)),
          h('td', { class: 'num' }, formatCount(s.patterns)),
          h('td', null, timeEl(s.lastRecord, formatTime(s.lastRecord, now)), ` (${formatAge(s.lastRecord, now)})`)));
      if (rows.length === 0) rows.push(h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No services have sent logs yet.')));
      replaceContent(body, ...rows);
      summary.textContent = `${countOf(services.length, 'service')} · updated ${formatTime(now, now)}`;
    } catch (error) {
      if (!disposed) ctx.fail('Loading the services', error);
    }
    if (!disposed) timer = setTimeout(() => void load(), REFRESH_MS);
  }

  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

/** One anomaly in full: reason, template, message, samples, score, counts, trace and span. */
import { ApiError } from './api.js';
import type { Context, View } from './context.js';
import { h, levelBadge, replaceContent, timeEl, type Child } from './dom.js';
import { formatCount, formatScore, formatTime, kindLabel } from './format.js';
import type { AnomalyView } from '../api-types.js';
import { routeHash, traceLink } from './model.js';

function fact(term: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', null, term), h('dd', null, ...value)];
}

/** An id as code, linked to the trace view when ANOMALOG_TRACE_URL is set. */
function idValue(id: string, link: string | null, label: string): Child {
  if (!id) return h('span', { class: 'none' }, 'none');
  const code = h('code', null, id);
  return link ? h('a', { href: link, rel: 'noreferrer noopener', target: '_blank', 'aria-label': `${label} ${id} (opens the trace view)` }, code) : code;
}

/** `back`: the list (with its filters) that led here. */
export function anomalyView(ctx: Context, id: string, back: string): View {
  let disposed = false;
  replaceContent(ctx.main, h('p', null, h('a', { href: back }, '← Anomalies')), h('h1', { tabindex: -1 }, 'Anomaly'), h('p', null, 'Loading…'));
  void load();

  async function load(): Promise<void> {
    let anomaly: AnomalyView;
    try {
      ({ anomaly } = await ctx.api.get<{ anomaly: AnomalyView }>(`/api/anomalies/${encodeURIComponent(id)}`));
    } catch (error) {
      if (disposed) return;
      if (error instanceof ApiError && error.status === 404) {
        replaceContent(ctx.main, h('p', null, h('a', { href: back }, '← Anomalies')), h('h1', { tabindex: -1 }, 'No such anomaly'), h('p', null, 'It may have been removed, or the link is wrong.'));
      } else ctx.fail('Loading the anomaly', error);
      return;
    }
    if (disposed) return;
    const now = Date.now();
    const a = anomaly;
    const link = traceLink(ctx.settings.traceUrl, a.traceId, a.spanId);
    const samples = a.samples ?? [];
    replaceContent(
      ctx.main,
      h('p', null, h('a', { href: back, 'data-key': 'back' }, '← Anomalies')),
      h('h1', { tabindex: -1 }, `${kindLabel(a.kind)} in `, h('span', { class: 'service' }, a.service)),
      h('p', { class: 'reason' }, a.reason),
      h('dl', { class: 'facts' },
        ...fact('Score', formatScore(a.score)),
        ...fact('Level', levelBadge(a.level)),
        ...fact('Records', formatCount(a.count)),
        ...fact('Detected', timeEl(a.detectedAt, formatTime(a.detectedAt, now))),
        ...fact('Record time', timeEl(a.timestamp, formatTime(a.timestamp, now))),
        ...fact('Pattern', h('a', { href: routeHash(['patterns'], { service: a.service }) }, h('code', null, a.patternId))),
        ...fact('Trace id', idValue(a.traceId, link, 'Trace')),
        ...fact('Span id', idValue(a.spanId, link, 'Span')),
        ...(a.incidentId ? fact('Incident', h('code', null, a.incidentId)) : []),
      ),
      h('h2', null, 'Template'),
      h('pre', { class: 'log', 'data-field': 'template' }, a.template),
      h('h2', null, 'Message'),
      h('pre', { class: 'log', 'data-field': 'message' }, a.message),
      h('h2', null, `Samples (${samples.length})`),
      samples.length > 0 ? h('ol', { class: 'samples' }, ...samples.map((s) => h('li', null, h('pre', { class: 'log' }, s)))) : h('p', { class: 'none' }, 'none'),
      h('h2', null, 'Attributes'),
      h('pre', { class: 'log', 'data-field': 'attributes' }, JSON.stringify(a.attributes ?? {}, null, 2)),
    );
  }

  return {
    dispose() {
      disposed = true;
    },
  };
}

/**
 * The console's entry point: gets the settings (asking for the token when the
 * API wants one), then shows the view the address names: #/anomalies (with
 * filters), #/anomalies/<id>, #/patterns?service=…, #/services.
 */
import { anomaliesView } from './anomalies.js';
import { anomalyView } from './anomaly.js';
import { ApiError, createApi, tokenStore } from './api.js';
import type { Context, View } from './context.js';
import { h, replaceContent } from './dom.js';
import type { ConsoleSettings } from '../api-types.js';
import { parseRoute } from './model.js';
import { patternsView } from './patterns.js';
import { servicesView } from './services.js';
import { askToken } from './token.js';

const main = document.getElementById('main')!;
const status = document.getElementById('status')!;

let token = tokenStore.get();
let settings: ConsoleSettings | undefined;
let view: View | undefined;
/** While the token form is up, a 401 is the form's business. */
let asking = false;
/** The list (with its filters) the detail view goes back to. */
let listHash = '#/anomalies';

const api = createApi(() => token, () => {
  if (asking) return;
  tokenStore.clear();
  token = null;
  signIn(settings ? 'The service no longer accepts the token. Enter it again.' : null);
});

function announce(text: string): void {
  status.classList.remove('failed');
  status.textContent = text;
}

function fail(what: string, error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return;
  status.classList.add('failed');
  status.textContent = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
}

function signIn(notice: string | null): void {
  asking = true;
  view?.dispose();
  view = undefined;
  askToken(main, notice, async (candidate) => {
    token = candidate;
    try {
      settings = await api.get<ConsoleSettings>('/api/settings');
    } catch (error) {
      token = null;
      if (error instanceof ApiError && error.status === 401) return 'The service refused this token.';
      return `Could not check the token: ${error instanceof Error ? error.message : String(error)}`;
    }
    tokenStore.set(candidate);
    asking = false;
    announce('Signed in');
    show(true);
    return null;
  });
}

function show(moveFocus: boolean): void {
  if (!settings || asking) return;
  view?.dispose();
  const { path, params } = parseRoute(location.hash);
  const ctx: Context = { api, settings, main, announce, fail };
  const page = path[0] === 'patterns' || path[0] === 'services' ? path[0] : 'anomalies';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.dataset.view === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (page === 'patterns') view = patternsView(ctx, params);
  else if (page === 'services') view = servicesView(ctx);
  else if (path[1] !== undefined) view = anomalyView(ctx, path[1], listHash);
  else view = anomaliesView(ctx, params);
  if (moveFocus) main.querySelector<HTMLElement>('h1')?.focus();
}

window.addEventListener('hashchange', (event) => {
  // The list's filters live in its address (updated as they change): remember it for the way back.
  const old = new URL(event.oldURL).hash;
  const { path } = parseRoute(old);
  if (path.length === 0 || (path[0] === 'anomalies' && path.length === 1)) listHash = old || '#/anomalies';
  show(true);
});

async function boot(): Promise<void> {
  try {
    settings = await api.get<ConsoleSettings>('/api/settings');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    replaceContent(main, h('h1', { tabindex: -1 }, 'anomalog'), h('p', { class: 'error', role: 'alert' }, `The console could not reach the service: ${error instanceof Error ? error.message : String(error)}`),
      h('button', { type: 'button', onclick: () => void boot() }, 'Try again'));
    return;
  }
  show(false);
}

void boot();

/**
 * The console in a real browser (Debian's Chromium through playwright-core)
 * against a running embedded service fed by the OTel JS SDK: the token flow,
 * live anomalies, the detail view, muting from the page against the Slack
 * stand-in, the services view, hostile log text, and the README's screenshot.
 */
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, launchChromium, type Browser } from '../helpers/browser.js';
import { createSdkExporter, createSdkProvider } from '../helpers/otlp-sdk.js';
import { startSlackServer, waitFor } from '../helpers/slack-server.js';
import { startTestService } from '../helpers/test-service.js';

const TOKEN = 'console-test-token-7f3a9c';
const TRACE_URL = 'https://traces.example/explore?traceId={traceId}&spanId={spanId}';
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const MINUTE = 60_000;
// UPDATE_SCREENSHOT=1 refreshes the README's picture; other runs keep the tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/console.png', import.meta.url))
  : join(tmpdir(), `anomalog-console-${process.pid}.png`);

interface Rec {
  level: string;
  body: string;
  /** ms; now when absent. */
  time?: number;
  traced?: boolean;
}

// Counted as a failure, not a skip, on a machine without the browser (the suite below cannot start).
it('has Debian’s Chromium to drive', () => {
  expect(existsSync(CHROMIUM_PATH), `no ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (.ci/run installs it)`).toBe(true);
});

describe('the console in Chromium', () => {
  let stop: (() => Promise<void>) | undefined;
  let slack: Awaited<ReturnType<typeof startSlackServer>>;
  let browser: Browser;
  let url: string;
  /** Every URL any page asked for, and every script error. */
  const requested: string[] = [];
  const pageErrors: string[] = [];

  /** Records of one service through the SDK's OTLP/HTTP exporter; `oneByOne` keeps their order. */
  async function send(serviceName: string, records: Rec[], oneByOne = false): Promise<void> {
    const provider = createSdkProvider(createSdkExporter('http/protobuf', { grpcUrl: '', httpUrl: url }, { token: TOKEN }), { 'service.name': serviceName });
    const logger = provider.getLogger('console-test');
    for (const r of records) {
      logger.emit({
        severityText: r.level,
        body: r.body,
        timestamp: new Date(r.time ?? Date.now()),
        context: r.traced ? trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }) : undefined,
      });
      if (oneByOne) await provider.forceFlush();
    }
    await provider.forceFlush();
    await provider.shutdown();
  }

  /** A service past its learning period: its first record 20 minutes ago. */
  const warmUp = (serviceName: string) => send(serviceName, [{ level: 'INFO', body: `${serviceName} started`, time: Date.now() - 20 * MINUTE }]);

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  async function newPage(): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return page;
  }

  /** A new tab (so a new sessionStorage) at `hash`, signed in. */
  async function openConsole(hash = ''): Promise<Page> {
    const page = await newPage();
    await page.goto(`${url}/${hash}`);
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Sign in' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    slack = await startSlackServer();
    ({ url, stop } = await startTestService('console', {
      // Ten minutes from each service's first record; the tests date a first record 20 minutes back to be past it.
      ANOMALOG_LEARNING_PERIOD: '600',
      ANOMALOG_AUTH_TOKEN: TOKEN,
      ANOMALOG_TRACE_URL: TRACE_URL,
      SLACK_WEBHOOK_URL: slack.url,
      ANOMALOG_SLACK_MIN_SEVERITY: 'info',
    }));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stop?.();
    await slack?.close();
  });

  it('asks for the token, refuses a wrong one, keeps the right one in sessionStorage only', async () => {
    const page = await newPage();
    await page.goto(url);
    const field = page.getByLabel('Access token');
    await field.waitFor();

    await field.fill('not-the-token');
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByRole('alert').filter({ hasText: 'The service refused this token.' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('anomalog.token'))).toBeNull();

    await field.fill(TOKEN);
    await page.getByRole('button', { name: 'Open the console' }).click();
    await page.getByRole('heading', { name: 'Anomalies' }).waitFor();
    await page.locator('p.summary', { hasText: 'shown' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('anomalog.token'))).toBe(TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await browser.context.cookies()).toEqual([]);

    // The tab keeps it across a reload; a new tab asks again.
    await page.reload();
    await page.getByRole('heading', { name: 'Anomalies' }).waitFor();
    expect(await page.getByLabel('Access token').count()).toBe(0);
    const other = await newPage();
    await other.goto(url);
    await other.getByLabel('Access token').waitFor();
    await other.close();
    await page.close();
  });

  it('shows anomalies from real exports as they happen, without a reload, and their details', async () => {
    await warmUp('payments');
    const page = await openConsole();
    await page.locator('p.summary', { hasText: 'shown' }).waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));

    await send('payments', [{ level: 'ERROR', body: 'Ledger write refused: disk quota exceeded on volume 7', traced: true }]);
    const row = page.locator('table.anomalies tbody tr', { hasText: 'Ledger write refused' });
    await row.waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await row.textContent()).toContain('payments');
    expect(await row.textContent()).toContain('new pattern');

    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'new pattern in payments' }).waitFor();
    expect(await page.locator('pre[data-field="message"]').textContent()).toBe('Ledger write refused: disk quota exceeded on volume 7');
    expect(await page.locator('pre[data-field="template"]').textContent()).toContain('Ledger write refused');
    expect(await page.locator('.reason').textContent()).not.toBe('');
    expect(await page.locator('ol.samples li').count()).toBeGreaterThan(0);
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toMatch(/Score\d\.\d\d/);
    expect(facts).toContain('Records1');
    const traceLink = page.getByRole('link', { name: `Trace ${TRACE_ID} (opens the trace view)` });
    expect(await traceLink.getAttribute('href')).toBe(`https://traces.example/explore?traceId=${TRACE_ID}&spanId=${SPAN_ID}`);
    expect(await page.getByRole('link', { name: `Span ${SPAN_ID} (opens the trace view)` }).count()).toBe(1);

    // Back to the list, by keyboard.
    await page.getByRole('link', { name: '← Anomalies' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Anomalies' }).waitFor();
    await page.close();
  });

  it('filters by service, kind and level', async () => {
    await warmUp('search');
    await send('search', [{ level: 'WARN', body: 'Index shard 3 answered slowly, falling back to replica' }]);
    await waitFor(async () => (await api<{ anomalies: unknown[] }>('/api/anomalies?service=search')).anomalies.length > 0, 15_000);
    const page = await openConsole();
    const rows = page.locator('table.anomalies tbody tr');
    await rows.filter({ hasText: 'Index shard' }).waitFor();

    await page.getByLabel('Service').selectOption('payments');
    await rows.filter({ hasText: 'Ledger write refused' }).waitFor();
    expect(await rows.filter({ hasText: 'Index shard' }).count()).toBe(0);
    expect(page.url()).toContain('service=payments');

    await page.getByLabel('Service').selectOption('');
    await page.getByLabel('Level').selectOption('error');
    await rows.filter({ hasText: 'Ledger write refused' }).waitFor();
    await waitFor(async () => (await rows.filter({ hasText: 'Index shard' }).count()) === 0);

    await page.getByLabel('Level').selectOption('');
    await page.getByLabel('Kind').selectOption('frequency_spike');
    await page.locator('td.empty').waitFor();
    await page.close();
  });

  it('mutes a pattern from the page, and its next spike sends no Slack message while another pattern still alerts', async () => {
    await Promise.all([warmUp('inventory'), warmUp('catalog')]);
    // One record in each of the four windows before this one: a baseline of one per window.
    const windowMs = MINUTE;
    const current = Math.floor(Date.now() / windowMs) * windowMs;
    const baseline = (body: string): Rec[] => [4, 3, 2, 1].map((k) => ({ level: 'INFO', body: `${body} ${k}`, time: current - k * windowMs + 5_000 }));
    await send('inventory', baseline('Cache refill finished for shelf'), true);
    await send('catalog', baseline('Price index rebuilt for region'), true);

    const page = await openConsole('#/patterns?service=inventory');
    const row = page.locator('table.patterns tbody tr', { hasText: 'Cache refill finished for shelf' });
    await row.waitFor();
    expect(await row.locator('svg.spark polyline').count()).toBe(1);

    // By keyboard: pick "1 day" and press the Mute button.
    const duration = row.getByLabel(/^Mute .* for$/);
    await duration.focus();
    await duration.selectOption('1d');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Mute');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    const before = Date.now();
    await page.keyboard.press('Enter');
    await row.getByRole('button', { name: /^Unmute / }).waitFor();
    expect(await row.locator('td.muted').textContent()).toMatch(/^until /);
    const { patterns } = await api<{ patterns: Array<{ template: string; muted: boolean; mutedUntil: number | null }> }>('/api/patterns?service=inventory');
    const muted = patterns.find((p) => p.template.startsWith('Cache refill finished for shelf'))!;
    expect(muted.muted).toBe(true);
    expect(muted.mutedUntil!).toBeGreaterThanOrEqual(before + 86_400_000 - 1_000);

    // The same burst in both: thirty records in this window against a baseline of one.
    // One time for all, so the burst never straddles two windows.
    const at = Date.now();
    const burst = (body: string): Rec[] => Array.from({ length: 30 }, (_v, i) => ({ level: 'INFO', body: `${body} ${i}`, time: at }));
    const sentBefore = slack.requests.length;
    await Promise.all([send('inventory', burst('Cache refill finished for shelf')), send('catalog', burst('Price index rebuilt for region'))]);
    const fromCatalog = () => slack.requests.slice(sentBefore).some((r) => JSON.stringify(r.body).includes('catalog'));
    await waitFor(fromCatalog, 15_000);
    // The alert window is 1 s: give a muted spike every chance to show up.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slack.requests.slice(sentBefore).filter((r) => JSON.stringify(r.body).includes('inventory'))).toEqual([]);
    const spikes = (s: string) => api<{ anomalies: unknown[] }>(`/api/anomalies?service=${s}&kind=frequency_spike`);
    expect((await spikes('catalog')).anomalies).toHaveLength(1);
    expect((await spikes('inventory')).anomalies).toHaveLength(0);

    // And unmuted from the page again.
    await row.getByRole('button', { name: /^Unmute / }).click();
    await row.getByRole('button', { name: /^Mute / }).waitFor();
    await page.close();
  });

  it('lists services with their learning state, pattern count and last record', async () => {
    await send('fresh-service', [{ level: 'INFO', body: 'fresh service booted' }]);
    // The SQL mirror the list reads is flushed every 2 s.
    await waitFor(async () => (await api<{ services: Array<{ service: string }> }>('/api/services')).services.some((s) => s.service === 'fresh-service'), 10_000);
    const page = await openConsole('#/services');
    const fresh = page.locator('table.services tbody tr', { hasText: 'fresh-service' });
    await fresh.waitFor();
    expect(await fresh.locator('.state').textContent()).toMatch(/^learning until /);
    const inventory = page.locator('table.services tbody tr', { hasText: 'inventory' });
    expect(await inventory.locator('.state').textContent()).toBe('learned');
    expect(Number(await inventory.locator('td.num').textContent())).toBeGreaterThanOrEqual(2);

    // A service's name leads to its patterns.
    await inventory.getByRole('link', { name: 'inventory' }).click();
    await page.locator('table.patterns tbody tr', { hasText: 'Cache refill finished for shelf' }).waitFor();
    await page.close();
  });

  it('saves the screenshot the README shows', async () => {
    await warmUp('checkout');
    await send('checkout', [
      { level: 'ERROR', body: 'Payment provider timeout after 3000 ms for order 99812', traced: true },
      { level: 'FATAL', body: 'Order state machine reached an impossible transition: SHIPPED -> CART' },
    ]);
    await waitFor(async () => (await api<{ anomalies: unknown[] }>('/api/anomalies?service=checkout')).anomalies.length >= 2, 15_000);
    const page = await openConsole();
    // The two new errors form one incident: its row shows them both.
    await page.locator('table.anomalies tbody tr.incident', { hasText: 'impossible transition' }).first().waitFor();
    await page.getByRole('button', { name: /Incident: 2 anomalies in checkout/ }).click();
    await page.locator('table.anomalies tbody tr.member', { hasText: 'impossible transition' }).waitFor();
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    await page.close();
  });

  it('groups the anomalies of one incident under one row that opens and closes from the keyboard', async () => {
    // The two new errors of checkout (previous test) opened one incident in the alert manager.
    await waitFor(async () => {
      const { anomalies } = await api<{ anomalies: Array<{ incidentId: string | null }> }>('/api/anomalies?service=checkout');
      return anomalies.length === 2 && anomalies[0]!.incidentId !== null && anomalies.every((a) => a.incidentId === anomalies[0]!.incidentId);
    }, 15_000);
    const page = await openConsole();
    const head = page.getByRole('button', { name: /Incident: 2 anomalies in checkout/ });
    await head.waitFor();
    expect(await head.getAttribute('aria-expanded')).toBe('false');
    const members = page.locator('table.anomalies tbody tr.member');
    expect(await members.count()).toBe(2);
    expect(await members.first().isHidden()).toBe(true);
    await head.focus();
    await page.keyboard.press('Enter');
    await members.first().waitFor();
    expect(await page.getByRole('button', { name: /Incident: 2 anomalies in checkout/ }).getAttribute('aria-expanded')).toBe('true');
    expect(await members.filter({ hasText: 'impossible transition' }).count()).toBe(1);
    // The anomalies of other services stay rows of their own.
    expect(await page.locator('table.anomalies tbody tr:not(.member):not(.incident)', { hasText: 'Ledger write refused' }).count()).toBe(1);
    await page.close();
  });

  it('renders hostile log text as inert text', async () => {
    const hostileService = 'shop<b>bold</b>';
    const body = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> checkout failed';
    await warmUp(hostileService);
    await send(hostileService, [{ level: 'ERROR', body }]);
    const page = await openConsole();
    const row = page.locator('table.anomalies tbody tr', { hasText: 'checkout failed' });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain(hostileService);
    // The list shows the template: the numbers masked, the markup as typed.
    expect(await row.getByRole('link').textContent()).toBe('<img src=x onerror="window.__pwned=<NUM>"><script>window.__pwned=<NUM></script> checkout failed');
    await row.getByRole('link').click();
    await page.locator('pre[data-field="message"]').waitFor();
    expect(await page.locator('pre[data-field="message"]').textContent()).toBe(body);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`new pattern in ${hostileService}`);
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await page.close();
  });

  it('asked for nothing but its own host and raised no script errors', () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((r) => !r.startsWith(`${url}/`))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

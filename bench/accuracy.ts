/**
 * Grouping Accuracy of mask + template miner on Loghub-2k (one configuration for
 * every system), and steady-state mask + mine throughput.
 *
 *   npm run bench:accuracy                  all systems, throughput, 100k-template scale
 *   node dist/bench/accuracy.js Linux --verbose   one system, with its grouping mistakes
 *   node dist/bench/accuracy.js Linux --verbose --online   the same for the ids given as lines arrive
 *   npm run bench:accuracy -- --data heldout      our held-out formats (bench/data/heldout), GA only
 *   npm run bench:accuracy -- --dir PATH          any folder in the Loghub-2k layout, GA only
 *   npm run bench:accuracy -- --orders 5          GA when the lines arrive in 5 seeded shuffled orders
 *                                                 (median and worst per system): rules that hold only
 *                                                 for the order they were shaped on show here
 *   npm run bench:accuracy -- --whole-lines       each record as its whole line in the raw log, header
 *                                                 included, as a collector that does not parse it sends
 *                                                 it (systems whose records span lines are left out)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mask } from '../src/pipeline/mask.js';
import { createTemplateMiner, type TemplateMiner } from '../src/pipeline/template-miner.js';
import { chooseData, loadLoghubSystem, loghubSystems, type LoghubSystem } from './loghub.js';
import { shuffled, syntheticMessages } from './seeded.js';

/** GA: a line is correct when its predicted group holds exactly the lines of its true group. */
export function groupingAccuracy(truth: readonly string[], predicted: readonly string[]): number {
  const pairs = new Map<string, number>();
  const truthSize = new Map<string, number>();
  const predSize = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
    predSize.set(p, (predSize.get(p) ?? 0) + 1);
    const k = `${t}\u0000${p}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
  }
  let correct = 0;
  for (const [k, n] of pairs) {
    const [t, p] = k.split('\u0000') as [string, string];
    if (truthSize.get(t) === n && predSize.get(p) === n) correct += n;
  }
  return truth.length === 0 ? 1 : correct / truth.length;
}

/**
 * `predicted`: final groups (a folded template counts as the one it joined, as an offline parser's output
 * would); `online`: the ids as returned at the time. `order`: line indices in arrival order (default: as logged).
 */
function mine(system: LoghubSystem, order?: readonly number[]): { predicted: string[]; online: string[]; miner: TemplateMiner } {
  const miner = createTemplateMiner();
  const lines = order ? order.map((i) => system.lines[i]!) : system.lines;
  const online = lines.map((l) => miner.add(mask(l.content)).id);
  const predicted = online.map((id) => miner.get(id)!.id);
  return { predicted, online, miner };
}

function printMistakes(system: LoghubSystem, predicted: string[], miner: TemplateMiner): void {
  const byTruth = new Map<string, Map<string, number>>();
  system.lines.forEach((l, i) => {
    const m = byTruth.get(l.eventId) ?? new Map<string, number>();
    m.set(predicted[i]!, (m.get(predicted[i]!) ?? 0) + 1);
    byTruth.set(l.eventId, m);
  });
  const predTruths = new Map<string, Set<string>>();
  system.lines.forEach((l, i) => {
    const s = predTruths.get(predicted[i]!) ?? new Set<string>();
    s.add(l.eventId);
    predTruths.set(predicted[i]!, s);
  });
  for (const [eventId, preds] of byTruth) {
    const line = system.lines.find((l) => l.eventId === eventId)!;
    const merged = [...preds.keys()].some((p) => predTruths.get(p)!.size > 1);
    if (preds.size === 1 && !merged) continue;
    const total = [...preds.values()].reduce((a, b) => a + b, 0);
    console.log(`  ${eventId} (${total}) ${line.template}`);
    for (const [p, n] of preds) {
      const others = [...predTruths.get(p)!].filter((e) => e !== eventId);
      console.log(`     ${n} -> ${p.slice(0, 6)} ${miner.get(p)?.template}${others.length ? `   [shared with ${others.join(',')}]` : ''}`);
    }
  }
}

function throughput(contents: string[], seconds: number): number {
  const miner = createTemplateMiner();
  for (const c of contents) miner.add(mask(c));
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (const c of contents) miner.add(mask(c));
    n += contents.length;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** One miner holding 100,000 templates: build time, heap growth, snapshot size, lookups on known templates. */
function scale(): void {
  const n = 100_000;
  const messages = syntheticMessages(n);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const miner = createTemplateMiner();
  const start = performance.now();
  for (const m of messages) miner.add(mask(m));
  const built = performance.now() - start;
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed - before;
  const snapshotBytes = Buffer.byteLength(JSON.stringify(miner.snapshot()));
  const lookupStart = performance.now();
  for (const m of messages) miner.add(mask(m));
  const lookups = n / ((performance.now() - lookupStart) / 1000);
  console.log(
    `100k templates: ${miner.templates().length.toLocaleString('en-US')} templates built in ${(built / 1000).toFixed(1)} s, ` +
      `heap +${Math.round(heap / 2 ** 20)} MiB${globalThis.gc ? '' : ' (run node --expose-gc for an exact figure)'}, ` +
      `snapshot ${Math.round(snapshotBytes / 2 ** 20)} MiB, known-template throughput ${Math.round(lookups).toLocaleString('en-US')} messages/s`,
  );
}

/** GA per system over `count` shuffled arrival orders: median and worst. */
function orders(systems: readonly LoghubSystem[], count: number, width: number): void {
  console.log(`${'system'.padEnd(width)} median  worst   (GA over ${count} shuffled orders, seeds 1..${count})`);
  const medians: number[] = [];
  const worst: number[] = [];
  for (const system of systems) {
    const gas = Array.from({ length: count }, (_, k) => {
      const order = shuffled(system.lines.length, k + 1);
      return groupingAccuracy(order.map((i) => system.lines[i]!.eventId), mine(system, order).predicted);
    }).sort((a, b) => a - b);
    medians.push(gas[Math.floor((count - 1) / 2)]!);
    worst.push(gas[0]!);
    console.log(`${system.name.padEnd(width)} ${medians.at(-1)!.toFixed(4)}  ${worst.at(-1)!.toFixed(4)}`);
  }
  console.log(`${'mean'.padEnd(width)} ${mean(medians).toFixed(4)}  ${mean(worst).toFixed(4)}`);
}

/** The system with each record's whole raw line for its content; undefined when the raw log's lines are not its records one to one. */
function wholeLines(system: LoghubSystem, dir: string): LoghubSystem | undefined {
  const raw = readFileSync(join(dir, system.name, `${system.name}_2k.log`), 'utf8').split('\n');
  if (raw.at(-1) === '') raw.pop();
  if (raw.length !== system.lines.length) return undefined;
  return { name: system.name, lines: system.lines.map((l, i) => ({ ...l, content: raw[i]!.replace(/\r$/, '') })) };
}

function main(): void {
  const data = chooseData(process.argv.slice(2));
  const orderCount = data.rest.includes('--orders') ? Number(data.rest[data.rest.indexOf('--orders') + 1]) : 0;
  if (data.rest.includes('--orders') && !(Number.isInteger(orderCount) && orderCount > 0)) throw new Error('--orders takes a whole number of orders, e.g. --orders 5');
  const verbose = data.rest.includes('--verbose');
  const only = data.rest.filter((a, i) => !a.startsWith('--') && data.rest[i - 1] !== '--orders');
  const whole = data.rest.includes('--whole-lines');
  const loaded = loghubSystems(data.dir).filter((s) => only.length === 0 || only.includes(s)).map((s) => loadLoghubSystem(s, data.dir));
  const systems = whole ? loaded.flatMap((s) => wholeLines(s, data.dir) ?? []) : loaded;
  if (whole) console.log(`whole raw lines; left out (records of several lines): ${loaded.filter((s) => !systems.some((w) => w.name === s.name)).map((s) => s.name).join(', ') || 'none'}`);
  const scores: number[] = [];
  const onlineScores: number[] = [];
  const width = Math.max(11, ...systems.map((s) => s.name.length + 1));
  if (data.name !== 'loghub') console.log(`data: ${data.name} (${data.dir})`);
  if (orderCount > 0) {
    orders(systems, orderCount, width);
    return;
  }
  console.log(`${'system'.padEnd(width)} GA      online GA  templates (truth)`);
  for (const system of systems) {
    const { predicted, online, miner } = mine(system);
    const truth = system.lines.map((l) => l.eventId);
    const ga = groupingAccuracy(truth, predicted);
    const onlineGa = groupingAccuracy(truth, online);
    scores.push(ga);
    onlineScores.push(onlineGa);
    const truthCount = new Set(truth).size;
    console.log(`${system.name.padEnd(width)} ${ga.toFixed(4)}  ${onlineGa.toFixed(4)}     ${miner.templates().length} (${truthCount})`);
    if (verbose) printMistakes(system, data.rest.includes('--online') ? online : predicted, miner);
  }
  console.log(`${'mean'.padEnd(width)} ${mean(scores).toFixed(4)}  ${mean(onlineScores).toFixed(4)}     min GA ${Math.min(...scores).toFixed(4)}`);

  // Speed and scale are measured on the shared ten only, so their figures stay comparable.
  if (only.length > 0 || data.name !== 'loghub' || whole) return;
  const contents = systems.flatMap((s) => s.lines.map((l) => l.content));
  const runs = [0, 1, 2].map(() => throughput(contents, 3));
  runs.sort((a, b) => a - b);
  console.log(`mask + mine, steady state, single thread: ${Math.round(runs[1]!).toLocaleString('en-US')} messages/s (median of 3 runs of 3 s; runs ${runs.map((r) => Math.round(r)).join(', ')})`);
  scale();
}

main();

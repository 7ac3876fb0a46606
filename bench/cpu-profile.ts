/**
 * Where a process spent its CPU: a V8 .cpuprofile (node --cpu-prof) summed by
 * self time per function, per file and per area (a folder of src/, a package,
 * Node's internals, GC), optionally over a window of the monotonic clock only.
 * `node dist/bench/cpu-profile.js FILE.cpuprofile ...` prints whole profiles.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs on the monotonic clock (process.hrtime's). */
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled time in the window, idle included. */
  totalMs: number;
  idleMs: number;
  byArea: Share[];
  byFile: Share[];
  byFunction: Share[];
}

/** The repository root, whether this runs from dist/bench/ or (tests) from bench/. */
const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

/** V8's own entries ("(garbage collector)", "(program)") keep their name; builtins and native code have no url. */
function fileOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('wasm://')) return 'wasm';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const packaged = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (packaged) return `${packaged[1]}/${packaged[2]}`;
  return path.startsWith(ROOT) ? path.slice(ROOT.length).replace(/^dist\//, '') : path;
}

function areaOf(url: string, file: string): string {
  if (url === '' || file.startsWith('(') || file === 'wasm') return file;
  if (file.startsWith('node:')) return 'node internals';
  const packaged = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packaged) return packaged[1]!;
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file;
}

function ranked(times: Map<string, number>, busyMs: number, top: number): Share[] {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
}

/**
 * Self time summed over `profiles` (one per thread of a process). Each sample
 * counts the time until the next one; with a window, only samples taken inside
 * [fromUs, toUs] count.
 */
export function summariseProfiles(profiles: readonly CpuProfile[], window?: { fromUs: number; toUs: number }, top = 12): ProfileSummary {
  const byArea = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (m: Map<string, number>, key: string, ms: number) => m.set(key, (m.get(key) ?? 0) + ms);
  let totalMs = 0;
  let idleMs = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      const next = at + (profile.timeDeltas[i + 1] ?? 0);
      if (window && (at < window.fromUs || at > window.toUs)) continue;
      const node = nodes.get(profile.samples[i]!);
      if (!node) continue;
      const ms = (Math.min(next, window?.toUs ?? next) - at) / 1_000;
      totalMs += ms;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        idleMs += ms;
        continue;
      }
      const file = fileOf(url, functionName);
      add(byArea, areaOf(url, file), ms);
      add(byFile, file, ms);
      add(byFunction, functionName.startsWith('(') ? functionName : `${functionName || '(anonymous)'} ${url === '' ? file : `${file}:${lineNumber + 1}`}`, ms);
    }
  }
  const busyMs = totalMs - idleMs;
  return { totalMs, idleMs, byArea: ranked(byArea, busyMs, top), byFile: ranked(byFile, busyMs, top), byFunction: ranked(byFunction, busyMs, top) };
}

const pct = (s: Share): string => `${(s.share * 100).toFixed(1)}%`;

export function formatSummary(summary: ProfileSummary): string {
  const busy = summary.totalMs - summary.idleMs;
  return [
    `sampled ${(summary.totalMs / 1000).toFixed(1)} s over all threads, ${(busy / 1000).toFixed(1)} s of it busy (not idle); shares are self time, of the busy time`,
    `by area: ${summary.byArea.map((s) => `${s.name} ${pct(s)}`).join(', ')}`,
    `by file: ${summary.byFile.map((s) => `${s.name} ${pct(s)}`).join(', ')}`,
    'by function:',
    ...summary.byFunction.map((s) => `  ${pct(s).padStart(6)}  ${s.name}`),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/bench/cpu-profile.js FILE.cpuprofile ...');
    process.exit(2);
  }
  console.log(formatSummary(summariseProfiles(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile))));
}

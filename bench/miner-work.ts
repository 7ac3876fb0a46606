/**
 * A fixed amount of mining work, to be counted rather than timed: run it under
 * `valgrind --tool=callgrind node --jitless` (instruction counts are the same whatever
 * else the machine does) in two trees, and compare.
 *
 *   node dist/bench/miner-work.js build 10000     build that many synthetic templates (the accuracy bench's scale case)
 *   node dist/bench/miner-work.js steady 2        mask + mine the shared ten's 20,000 messages: one warm pass, then that many
 *
 * For the steady state, subtract the same run with 0 passes (loading and the warm pass).
 * It also prints the CPU seconds of the measured part, for JIT comparisons.
 */
import { mask } from '../src/pipeline/mask.js';
import { createTemplateMiner } from '../src/pipeline/template-miner.js';
import { loadLoghubSystem, loghubSystems } from './loghub.js';
import { syntheticMessages } from './seeded.js';

function main(): void {
  const [mode, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  if ((mode !== 'build' && mode !== 'steady') || !Number.isInteger(count) || count < 0) {
    throw new Error('usage: miner-work.js build N | steady PASSES');
  }
  const miner = createTemplateMiner();
  let messages: string[];
  if (mode === 'build') messages = syntheticMessages(count);
  else {
    const contents = loghubSystems().flatMap((s) => loadLoghubSystem(s).lines.map((l) => l.content));
    for (const c of contents) miner.add(mask(c));
    messages = Array.from({ length: count }, () => contents).flat();
  }
  const start = process.cpuUsage();
  for (const m of messages) miner.add(mask(m));
  const seconds = process.cpuUsage(start).user / 1e6;
  console.log(`${mode}: ${messages.length.toLocaleString('en-US')} messages in ${seconds.toFixed(2)} CPU s; ${miner.templates().length.toLocaleString('en-US')} templates`);
}

main();

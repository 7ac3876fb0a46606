/**
 * Regenerates the held-out set (bench/data/heldout/<Name>/) and the structured-log set
 * (bench/data/structured/<Name>/, scored apart) from their seeded generators:
 *
 *   npx tsc -p . && node dist/bench/data/heldout/gen/generate.js           write the files
 *   npx tsc -p . && node dist/bench/data/heldout/gen/generate.js --check   exit 1 unless the committed files are what the generators make
 *
 * Same seed, same bytes. Prints per system: records, templates, templates seen at most
 * twice, templates first seen in the second half, and the top template's share.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemSpec } from './core.js';
import { elasticsearch } from './elasticsearch.js';
import { envoy } from './envoy.js';
import { haproxy } from './haproxy.js';
import { journald } from './journald.js';
import { javaEcs, journaldJson, pyStructlog } from './json-services.js';
import { kafka } from './kafka.js';
import { kubelet } from './kubelet.js';
import { nginx } from './nginx.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';
import { slogJson, slogText } from './slog-json.js';
import { springBoot } from './springboot.js';
import { writeSystem } from './write.js';

/** Each set: its seed, its systems, and its folder beside `heldout/gen/` (also when run from `dist/bench/data/heldout/gen/`). */
const SETS = [
  { seed: 'anomalog-heldout-1', systems: [nginx, postgres, kubelet, kafka, redis, journald, envoy, springBoot, haproxy, elasticsearch], dir: 'heldout' },
  { seed: 'anomalog-structured-1', systems: [slogJson, slogText], dir: 'structured' },
  { seed: 'anomalog-structured-2', systems: [pyStructlog, javaEcs, journaldJson], dir: 'structured' },
] as const satisfies ReadonlyArray<{ seed: string; systems: readonly SystemSpec[]; dir: string }>;

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const set of SETS) {
  const root = fileURLToPath(new URL(`../../../../../bench/data/${set.dir}/`, import.meta.url));
  const out = check ? mkdtempSync(join(tmpdir(), `anomalog-${set.dir}-`)) : root;
  console.log(`${set.dir}:\nsystem        records  templates  rare(<=2)  new in 2nd half  top share`);
  for (const spec of set.systems) {
    const s = writeSystem(spec, out, set.seed);
    console.log(
      `${s.name.padEnd(13)} ${String(s.records).padStart(7)}  ${String(s.templates).padStart(9)}  ${String(s.rare).padStart(9)}  ${String(s.newInSecondHalf).padStart(15)}  ${s.topShare.toFixed(2).padStart(9)}`,
    );
    if (!check) continue;
    for (const file of readdirSync(join(out, spec.name))) {
      const committed = join(root, spec.name, file);
      let same = false;
      try {
        same = readFileSync(committed).equals(readFileSync(join(out, spec.name, file)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (!same) stale.push(committed);
    }
  }
  if (check) rmSync(out, { recursive: true, force: true });
}
if (check) {
  if (stale.length > 0) {
    console.log(`differs from its generator: ${stale.join(', ')}`);
    process.exitCode = 1;
  } else {
    console.log('committed files match the generators');
  }
}

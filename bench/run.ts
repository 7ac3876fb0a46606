/**
 * npm run bench [-- NAME ...]: runs the named benchmarks (default: all but the
 * long alerting soak) one after another, each in its own process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ALL = ['ingest', 'accuracy', 'pipeline', 'novelty'];
const here = dirname(fileURLToPath(import.meta.url));
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names.length > 0 ? names : ALL) {
  const file = join(here, `${name}.js`);
  if (!existsSync(file)) {
    console.error(`no benchmark "${name}" (known: ${[...ALL, 'alerting'].join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== bench ${name} ===`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

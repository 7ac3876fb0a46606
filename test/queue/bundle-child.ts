/** Bundles a TypeScript entry for a child process (Node 20 cannot run .ts itself). */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

/**
 * The bundle lives three levels under the repository root, so the Lua script
 * loader's source-tree fallback (../../../src/queue/scripts) finds the scripts;
 * under dist/, not node_modules/, which may be a link to another checkout.
 */
export async function bundleChild(entry: string): Promise<{ file: string; remove(): void }> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = `${root}dist/test-children/${randomUUID()}`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/child.mjs`;
  await build({
    input: fileURLToPath(new URL(entry, import.meta.url)),
    platform: 'node',
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    output: { file, format: 'esm' },
    logLevel: 'silent',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliNodeFlags } from '../helpers/anomalog-process.js';

const root = new URL('../../', import.meta.url);

describe('node flags of the service', () => {
  it('are the same for the anomalog executable, its build and npm start', () => {
    const shebang = readFileSync(new URL('src/cli.ts', root), 'utf8').split('\n', 1)[0]!;
    expect(shebang.startsWith('#!/usr/bin/env -S node')).toBe(true);
    const flags = shebang.split(/\s+/).slice(3);
    expect(flags).toContain('--max-semi-space-size=64');
    expect(cliNodeFlags()).toEqual(flags);
    const start = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    expect(start).toBe(['node', ...flags, 'dist/src/cli.js', 'serve'].join(' '));
  });
});

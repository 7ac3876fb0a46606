import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTemplates } from '../../src/commands/templates.js';

const LOG = [
  'Accepted password for root from 10.0.0.1 port 22 ssh2',
  'Received disconnect from 10.0.0.1: 11: Bye Bye',
  'Accepted password for root from 10.0.0.9 port 2222 ssh2',
  '',
  'Received disconnect from 10.0.0.7: 11: Bye Bye',
  'Accepted password for root from 10.0.0.3 port 40000 ssh2',
].join('\n');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stdinText = ''): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await runTemplates(argv, { stdin: Readable.from([stdinText]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anomalog-templates-'));
  file = join(dir, 'app.log');
  await writeFile(file, `${LOG.replaceAll('\n', '\r\n')}\r\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('anomalog templates', () => {
  it('prints one JSON object per input line, in order, numbered from 1', async () => {
    const { code, stdout, stderr } = await run([file]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const rows = jsonLines(stdout);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const r of rows) expect(Object.keys(r)).toEqual(['line', 'templateId', 'template']);
    expect(rows[0]!.template).toBe('Accepted password for root from <IP> port <NUM> ssh2');
    expect(rows[1]!.template).toBe('Received disconnect from <IP>: <NUM>: Bye Bye');
    expect(rows[2]!.templateId).toBe(rows[0]!.templateId);
    expect(rows[4]!.templateId).toBe(rows[1]!.templateId);
    expect(rows[5]!.templateId).toBe(rows[0]!.templateId);
    expect(rows[0]!.templateId).not.toBe(rows[1]!.templateId);
    expect(rows[3]!.template).toBe('');
  });

  it('reads stdin when the file is - or absent', async () => {
    const fromFile = await run([file]);
    const dash = await run(['-'], LOG);
    const absent = await run([], LOG);
    expect(dash.stdout).toBe(fromFile.stdout);
    expect(absent.stdout).toBe(fromFile.stdout);
  });

  it('prints templates with counts and a raw example, most frequent first, with --summary', async () => {
    const { code, stdout } = await run(['--summary', '--service', 'sshd', file]);
    expect(code).toBe(0);
    const rows = jsonLines(stdout);
    expect(rows[0]).toMatchObject({
      service: 'sshd',
      template: 'Accepted password for root from <IP> port <NUM> ssh2',
      count: 3,
      example: 'Accepted password for root from 10.0.0.1 port 22 ssh2',
    });
    expect(rows[1]).toMatchObject({ template: 'Received disconnect from <IP>: <NUM>: Bye Bye', count: 2 });
    expect(rows.reduce((n, r) => n + (r.count as number), 0)).toBe(6);
  });

  it('prints every line with the final id of its group once a varying word has folded siblings together', async () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const { code, stdout } = await run(['-'], users.map((u) => `session opened for user ${u} by sshd`).join('\n'));
    expect(code).toBe(0);
    const rows = jsonLines(stdout);
    expect(rows).toHaveLength(users.length);
    expect(new Set(rows.map((r) => r.templateId)).size).toBe(1);
    expect(rows[0]!.template).toBe('session opened for user <*> by sshd');
  });

  it('exits 2 with a clear message on a missing file', async () => {
    const { code, stdout, stderr } = await run([join(dir, 'nope.log')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/cannot read .*nope\.log: no such file/);
  });

  it('exits 2 on an unknown flag, a flag without its value and a second file', async () => {
    expect((await run(['--bogus', file])).code).toBe(2);
    const missing = await run([file, '--service']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--service needs a value/);
    expect((await run([file, file])).code).toBe(2);
  });

  it('streams a large input line by line', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `request ${i} served in ${i % 97}ms`);
    const { code, stdout } = await run(['-'], lines.join('\n'));
    expect(code).toBe(0);
    const rows = jsonLines(stdout);
    expect(rows).toHaveLength(50_000);
    expect(new Set(rows.map((r) => r.templateId)).size).toBe(1);
    expect(rows[49_999]).toMatchObject({ line: 50_000, template: 'request <NUM> served in <DURATION>' });
  });

  // `npm test` builds first; run `npx tsc -p .` before running this file alone.
  it('works as the built `anomalog templates` command', async () => {
    const cli = join(process.cwd(), 'dist/src/cli.js');
    expect(existsSync(cli), `${cli} missing: build with npx tsc -p .`).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'templates', file]);
    const rows = jsonLines(stdout);
    expect(rows).toHaveLength(6);
    expect(rows[5]).toMatchObject({ line: 6, template: 'Accepted password for root from <IP> port <NUM> ssh2' });
  });
});

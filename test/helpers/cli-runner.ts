/** Runs the `anomalog` command in process, capturing what it prints. */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/commands/main.js';

export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(argv, { stdin: Readable.from([]), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

/** The streams every command reads and writes: the process's own, or a test's. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** One command: its arguments in, its exit code out. */
export type Command = (argv: string[], io: CommandIo) => Promise<number>;

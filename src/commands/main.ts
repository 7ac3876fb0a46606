/** The `anomalog` command's dispatcher: one sub-command per operator task. */
import { ConfigError } from '../config.js';
import { version } from '../version.js';
import type { Command, CommandIo } from './command-io.js';


/** Loaded lazily so `anomalog templates` does not pay for Postgres or gRPC start-up. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run the service (OTLP receiver + detection + alerts)',
    load: async () => (await import('./serve.js')).runServe,
  },
  migrate: {
    summary: 'apply the database migrations and exit',
    load: async () => (await import('./migrate.js')).runMigrate,
  },
  templates: {
    summary: 'print the template of each line of a log file: templates [FILE|-] [--service NAME] [--summary]',
    load: async () => (await import('./templates.js')).runTemplates,
  },
  learn: {
    summary: 'learn a file of historical messages: learn FILE --service NAME [--level LEVEL]',
    load: async () => (await import('./learn-command.js')).runLearnCommand,
  },
  anomalies: {
    summary: 'list recent anomalies: anomalies [--service S] [--since 1h] [--json]',
    load: async () => (await import('./operator.js')).runAnomalies,
  },
  patterns: {
    summary: 'list learned patterns: patterns [--service S] [--json]',
    load: async () => (await import('./operator.js')).runPatterns,
  },
  mute: {
    summary: 'stop alerting on a pattern: mute ID [--for 7d]',
    load: async () => (await import('./operator.js')).runMute,
  },
  unmute: {
    summary: 'alert on a muted pattern again: unmute ID',
    load: async () => (await import('./operator.js')).runUnmute,
  },
  'dead-letters': {
    summary: 'list work set aside after failing again and again, or queue one again: dead-letters [--json] | dead-letters replay ID',
    load: async () => (await import('./dead-letters.js')).runDeadLetters,
  },
  demo: {
    summary: 'start on the embedded default and replay a realistic incident (< 1 minute)',
    load: async () => (await import('./demo.js')).runDemo,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `anomalog ${version}: log anomaly detection for OpenTelemetry Collectors\n\nUsage: anomalog <command> [options]\n\n${lines.join('\n')}\n\nConfiguration comes from the environment; see README.md.\n`;
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`anomalog: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`anomalog: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

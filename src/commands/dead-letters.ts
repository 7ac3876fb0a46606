/**
 * `anomalog dead-letters`: the work set aside after failing ANOMALOG_MAX_DELIVERIES
 * times, and `anomalog dead-letters replay ID` to queue one again (once its
 * cause is fixed). Through the running service's /api, like the other operator commands.
 */
import { parseArgs } from 'node:util';
import type { DeadLetter } from '../dead-letter.js';
import type { CommandIo } from './command-io.js';
import { call, guarded, iso, onlyId, target, writeList } from './operator.js';
import { renderTable, truncate } from './table.js';

export function runDeadLetters(argv: string[], io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { limit: { type: 'string', default: '100' }, json: { type: 'boolean' }, url: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals[0] === 'replay') return replay(positionals.slice(1), values.url, io);
    if (positionals.length > 0) throw new RangeError('usage: anomalog dead-letters [--limit N] [--json] | anomalog dead-letters replay ID');
    const { json } = await call(target(values.url), 'GET', `/api/dead-letters?${new URLSearchParams({ limit: values.limit })}`);
    return writeList(io, (json.deadLetters ?? []) as DeadLetter[], {
      json: values.json,
      empty: 'no dead letters',
      table: (letters) =>
        renderTable(
          ['ID', 'CREATED', 'SOURCE', 'RECORDS', 'DELIVERIES', 'ERROR'],
          letters.map((d) => [String(d.id), iso(d.createdAt), String(d.source), String(d.records), String(d.deliveries), truncate(String(d.error), 120)]),
        ),
    });
  });
}

async function replay(ids: string[], url: string | undefined, io: CommandIo): Promise<number> {
  const id = onlyId(ids, 'usage: anomalog dead-letters replay ID');
  const { status } = await call(target(url), 'POST', `/api/dead-letters/${encodeURIComponent(id)}/replay`);
  if (status === 404) {
    io.stderr.write(`anomalog: no dead letter ${id} (see \`anomalog dead-letters\`)\n`);
    return 1;
  }
  io.stdout.write(`replayed dead letter ${id}: its work is queued again\n`);
  return 0;
}

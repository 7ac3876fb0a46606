/**
 * The soak: 2 receivers and 2 workers at a steady rate for N minutes. Prints,
 * each minute, the acknowledged rate, the backlog and every process's RSS;
 * at the end, RSS growth from the first minute to the last and the loss check.
 */
import { withDeployment, type Deployment } from './scale-deployment.js';
import { sampleProcess } from './scale-procfs.js';
import type { BenchRedis } from './scale-redis.js';
import { fmt, lossCheck, mb, sleep } from './scale-report.js';
import { backlogRecords } from './scale-stack.js';

const CONCURRENCY = 8;
const SAMPLE_MS = 5_000;

async function rssByProcess(d: Deployment): Promise<Map<string, number>> {
  const named: Array<[string, number]> = [
    ...d.stack.receivers.map((p, i): [string, number] => [`receiver ${i + 1}`, p.child.pid!]),
    ...d.stack.workers.map((p, i): [string, number] => [`worker ${i + 1}`, p.child.pid!]),
    ['redis', d.redis.pid()],
  ];
  const samples = await Promise.all(named.map(([, pid]) => sampleProcess(pid)));
  return new Map(named.map(([name], i) => [name, samples[i]!.rssBytes]));
}

const rssLine = (rss: Map<string, number>): string => [...rss].map(([name, bytes]) => `${name} ${mb(bytes)}`).join(', ');

export async function runSoak(opts: { redis: BenchRedis; databaseUrl: string; minutes: number; recordsPerSecond: number }): Promise<void> {
  console.log(`## Soak: ${opts.minutes} min at ${fmt(opts.recordsPerSecond)} records/s, 2 receivers, 2 workers (backlog bound 100,000 per shard)\n`);
  await opts.redis.flush();
  await withDeployment({ ...opts, workers: 2 }, async (d) => {
    const started = Date.now();
    d.client.start({ concurrency: CONCURRENCY, recordsPerSecond: opts.recordsPerSecond });
    const atStart = await rssByProcess(d);
    console.log(`t=0: RSS ${rssLine(atStart)}`);
    let afterFirstMinute = atStart;
    let maxBacklog = 0;
    let minuteMax = 0;
    let lastAcked = 0;
    let lastMinuteAt = started;
    for (let minute = 1; minute <= opts.minutes; minute++) {
      while (Date.now() < started + minute * 60_000) {
        await sleep(Math.min(SAMPLE_MS, started + minute * 60_000 - Date.now()));
        const backlog = await backlogRecords(opts.redis.client);
        minuteMax = Math.max(minuteMax, backlog);
      }
      const [progress, rss, backlog] = await Promise.all([d.client.progress(), rssByProcess(d), backlogRecords(opts.redis.client)]);
      if (minute === 1) afterFirstMinute = rss;
      const rate = (progress.acked - lastAcked) / ((Date.now() - lastMinuteAt) / 1_000);
      console.log(
        `t=${minute} min: ${fmt(rate)} records/s acknowledged, backlog ${fmt(backlog)} (max this minute ${fmt(minuteMax)}), ` +
          `refusals ${fmt(progress.retries)} in total; RSS ${rssLine(rss)}`,
      );
      maxBacklog = Math.max(maxBacklog, minuteMax);
      minuteMax = 0;
      lastAcked = progress.acked;
      lastMinuteAt = Date.now();
    }
    const atEnd = await rssByProcess(d);
    const final = await d.client.stop();
    const check = await lossCheck(opts.redis.client, final.acked);
    console.log(`\nsoak summary: ${fmt(final.acked)} records acknowledged in ${opts.minutes} min, backlog never above ${fmt(maxBacklog)} records; ${check.text}`);
    for (const [name, end] of atEnd) {
      const first = afterFirstMinute.get(name)!;
      console.log(`  ${name}: RSS ${mb(atStart.get(name)!)} at start, ${mb(first)} after 1 min, ${mb(end)} at the end (${end >= first ? '+' : ''}${mb(end - first)} since minute 1)`);
    }
    console.log('');
  });
}

/**
 * Recovery under steady load (2 receivers, 2 workers, Redis with AOF):
 *  - a worker killed with SIGKILL mid-batch: how long until the survivor holds
 *    its shards, and until the entries it had pending are claimed and processed;
 *  - a Redis restart (graceful, AOF kept): how long until receivers acknowledge
 *    again, workers commit again, and the backlog is back to normal.
 * Ends with the loss check over everything acknowledged.
 */
import type { Redis } from 'ioredis';
import { CONSUMER_GROUP, createQueueKeys } from '../src/redis-keys.js';
import { withDeployment, type Deployment } from './scale-deployment.js';
import type { BenchRedis } from './scale-redis.js';
import { fmt, lossCheck, sleep } from './scale-report.js';
import { SHARDS, backlogRecords, committedRecords, scrapeMetric } from './scale-stack.js';

const CONCURRENCY = 8;
const POLL_MS = 100;
const TIMEOUT_MS = 120_000;

/** Seconds from `since` until `condition` holds (errors, e.g. Redis down, count as "not yet"); undefined on timeout. */
async function secondsUntil(since: number, condition: () => Promise<boolean>): Promise<number | undefined> {
  while (Date.now() - since < TIMEOUT_MS) {
    if (await condition().catch(() => false)) return (Date.now() - since) / 1_000;
    await sleep(POLL_MS);
  }
  return undefined;
}

const secs = (s: number | undefined): string => (s === undefined ? `not within ${TIMEOUT_MS / 1000} s` : `${s.toFixed(1)} s`);

/** Stream entries pending in the consumer of the worker process `pid` (consumer names carry the pid). */
async function pendingOf(redis: Redis, pid: number): Promise<number> {
  const keys = createQueueKeys();
  let total = 0;
  for (let s = 0; s < SHARDS; s++) {
    const summary = (await redis.call('XPENDING', keys.stream(s), CONSUMER_GROUP).catch(() => [0, null, null, null])) as [number, unknown, unknown, Array<[string, string]> | null];
    for (const [consumer, count] of summary[3] ?? []) if (consumer.includes(`-${pid}-`)) total += Number(count);
  }
  return total;
}

/** The highest backlog over a few seconds of steady load: "normal" to come back to. */
async function steadyBacklog(redis: Redis, ms: number): Promise<number> {
  let max = 0;
  for (const until = Date.now() + ms; Date.now() < until; await sleep(POLL_MS)) max = Math.max(max, await backlogRecords(redis));
  return max;
}

/** Samples the backlog in the background; stop() gives the peak. */
function backlogPeak(redis: Redis): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    // While Redis restarts a read fails: that moment just has no sample.
    backlogRecords(redis).then((b) => (peak = Math.max(peak, b)), () => undefined);
  }, POLL_MS);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

async function workerKill(d: Deployment): Promise<void> {
  const redis = d.redis.client;
  const normal = await steadyBacklog(redis, 5_000);
  const threshold = Math.max(normal * 1.5, normal + 2_000);
  const survivor = d.stack.workers[0]!;
  const victim = d.stack.workers[1]!;
  const victimPid = victim.child.pid!;
  // Kill while it holds a batch, so there is something to claim.
  const caught = await secondsUntil(Date.now(), async () => (await pendingOf(redis, victimPid)) > 0);
  if (caught === undefined) throw new Error('the worker to kill never held a pending batch');
  await d.stack.killWorker(victim);
  const killedAt = Date.now();
  const peak = backlogPeak(redis);
  const pending = await pendingOf(redis, victimPid);
  const claimedBefore = await scrapeMetric(survivor.httpPort, 'anomalog_worker_claimed_entries_total');
  const leases = await secondsUntil(killedAt, async () => (await scrapeMetric(survivor.httpPort, 'anomalog_worker_leases')) === SHARDS);
  const processed = await secondsUntil(killedAt, async () => (await pendingOf(redis, victimPid)) === 0);
  const claimed = (await scrapeMetric(survivor.httpPort, 'anomalog_worker_claimed_entries_total')) - claimedBefore;
  const backlogBack = await secondsUntil(killedAt, async () => (await backlogRecords(redis)) <= threshold);
  console.log(
    `worker SIGKILL: ${pending} stream entries pending in it; survivor held all ${SHARDS} shards after ${secs(leases)}, ` +
      `claimed ${claimed} entries, the killed worker's entries all processed after ${secs(processed)}, ` +
      `backlog peaked at ${fmt(peak.stop())} and was back under ${fmt(threshold)} (steady max ${fmt(normal)}) after ${secs(backlogBack)}`,
  );
}

async function redisRestart(d: Deployment): Promise<void> {
  const redis = d.redis.client;
  // Back to two workers, and let them share the shards.
  await d.stack.addWorker();
  await sleep(20_000);
  const normal = await steadyBacklog(redis, 5_000);
  const threshold = Math.max(normal * 1.5, normal + 2_000);
  const peak = backlogPeak(redis);
  const { stoppingAt, upAt } = await d.redis.restart();
  let committedAtUp = 0;
  await secondsUntil(upAt, async () => {
    committedAtUp = await committedRecords(redis);
    return true;
  });
  const acking = await secondsUntil(upAt, async () => (await d.client.progress()).lastAckAt > upAt);
  const committing = await secondsUntil(upAt, async () => (await committedRecords(redis)) > committedAtUp);
  const backlogBack = await secondsUntil(upAt, async () => (await backlogRecords(redis)) <= threshold);
  const refusedFor = acking === undefined ? 'no acknowledgement since' : `first acknowledgement ${((upAt + acking * 1_000 - stoppingAt) / 1_000).toFixed(1)} s after SIGTERM`;
  console.log(
    `redis restart (graceful, AOF): ${((upAt - stoppingAt) / 1000).toFixed(1)} s from SIGTERM to answering PING again (${refusedFor}); after that, receivers acknowledged again in ${secs(acking)}, ` +
      `workers committed again in ${secs(committing)}, backlog peaked at ${fmt(peak.stop())}, back under ${fmt(threshold)} (steady max ${fmt(normal)}) in ${secs(backlogBack)}`,
  );
}

export async function measureRecovery(opts: { redis: BenchRedis; databaseUrl: string; recordsPerSecond: number }): Promise<void> {
  console.log(`## Recovery: ${fmt(opts.recordsPerSecond)} records/s steady, 2 receivers, 2 workers, Redis with AOF (fsync every second); default lease 15 s, ANOMALOG_CLAIM_IDLE 30 s\n`);
  await withDeployment({ ...opts, workers: 2 }, async (d) => {
    d.client.start({ concurrency: CONCURRENCY, recordsPerSecond: opts.recordsPerSecond });
    await sleep(15_000);
    await workerKill(d);
    await redisRestart(d);
    const final = await d.client.stop();
    const check = await lossCheck(opts.redis.client, final.acked);
    console.log(`recovery summary: ${fmt(final.acked)} records acknowledged, ${fmt(final.retries)} exports refused and retried; ${check.text}\n`);
  });
}

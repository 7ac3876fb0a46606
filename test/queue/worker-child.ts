/**
 * A worker in its own process, for crash tests: it reports each batch it is
 * handed on stdout and never finishes one, so the parent can SIGKILL it mid-batch.
 */
import { createStreamWorker } from '../../src/worker/stream-worker.js';
import { connect, silent } from './redis-fixture.js';

const env = process.env;
const worker = createStreamWorker({
  redis: connect(),
  shards: Number(env.SHARDS),
  claimIdleSeconds: 60,
  consumerName: env.CONSUMER!,
  prefix: env.PREFIX!,
  leaseMs: Number(env.LEASE_MS),
  logger: silent,
  handle: (batches) => {
    process.stdout.write(`${JSON.stringify(batches.map((b) => b.streamId))}\n`);
    return new Promise(() => undefined);
  },
});
worker.start();

/**
 * Apache Kafka 3.6 broker `server.log` (ZooKeeper mode, broker 1 of 3), log4j pattern
 * `[%d] %p %m (%c)%n`: time and level are the header, the content is the message with
 * its logger in parentheses. Bracketed log-context prefixes (`[LocalLog partition=…,
 * dir=…]`, `[ReplicaFetcher replicaId=…]`) are parameters of the statement, like any
 * other value. Exceptions that log4j prints on following lines are left out.
 */
import { createClock, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { privateIp, uuid } from './values.js';

const DIR = '/var/lib/kafka/data';

export const kafka: SystemSpec = {
  name: 'Kafka',
  columns: ['Time', 'Level'],
  render: (f, content) => `[${f.Time}] ${f.Level} ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 11, 0, 0), 3200);
    const log = (level: string, m: Msg, gap?: number): LogRecord => {
      const t = new Date(clock.tick(gap)).toISOString();
      return { fields: { Time: `${t.slice(0, 10)} ${t.slice(11, 19)},${t.slice(20, 23)}`, Level: level }, msg: m };
    };
    const topics: Array<readonly [string, number]> = [
      ['orders', 12],
      ['order-events', 12],
      ['payments', 6],
      ['inventory-updates', 6],
      ['clickstream', 24],
    ];
    const tp = (): string => {
      const [t, n] = rng.pick(topics);
      return `${t}-${rng.int(0, n - 1)}`;
    };
    const offsets = new Map<string, number>();
    const offsetOf = (p: string): number => {
      const o = (offsets.get(p) ?? rng.int(1_000_000, 90_000_000)) + rng.int(50_000, 400_000);
      offsets.set(p, o);
      return o;
    };
    const groups = ['order-service', 'payment-service', 'analytics-sink', 'connect-s3-sink', 'inventory-projector'];
    const generations = new Map<string, number>(groups.map((g) => [g, rng.int(3, 90)]));
    // A new consumer group shows up in the second half; the topic created late is rolled like the others.
    const newGroup = (): LogRecord[] => {
      groups.push('fraud-detector');
      generations.set('fraud-detector', 0);
      return rebalance();
    };
    const member = (g: string): string => `consumer-${g}-${rng.int(1, 4)}-${uuid(rng)}`;
    const offsetsPartition = (g: string): string => `__consumer_offsets-${[...g].reduce((a, c) => a + c.charCodeAt(0), 0) % 50}`;
    const epochMs = (): number => clock.now() - rng.int(7, 8) * 86_400_000 - rng.int(0, 3_600_000);
    const segment = (base: number): string => `LogSegment(baseOffset=${base}, size=${rng.int(1_020_000_000, 1_073_741_000)}, lastModifiedTime=${epochMs()}, largestRecordTimestamp=Some(${epochMs()}))`;
    const file = (base: number): string => String(base).padStart(20, '0');

    const roll = (): LogRecord[] => {
      const p = tp();
      const o = offsetOf(p);
      return [
        log('INFO', msg`[LocalLog partition=${p}, dir=${DIR}] Rolled new log segment at offset ${o} in ${rng.int(0, 6)} ms. (kafka.log.LocalLog)`),
        log('INFO', msg`[ProducerStateManager partition=${p}] Wrote producer snapshot at offset ${o} with ${rng.int(0, 12)} producer ids in ${rng.int(0, 4)} ms. (org.apache.kafka.storage.internals.log.ProducerStateManager)`, rng.int(0, 3)),
      ];
    };
    const retention = (bySize = false): LogRecord[] => {
      const p = tp();
      const base = offsetOf(p) - rng.int(5_000_000, 9_000_000);
      const next = base + rng.int(200_000, 900_000);
      const seg = segment(base);
      const why = bySize
        ? msg`due to retention size ${'53687091200'} breach. Log size after deletion will be ${rng.int(53_000_000_000, 53_687_000_000)}.`
        : msg`due to retention time ${'604800000'}ms breach based on the largest record timestamp in the segment`;
      return [
        log('INFO', msg`[UnifiedLog partition=${p}, dir=${DIR}] Deleting segment ${seg} ${why} (kafka.log.UnifiedLog)`),
        log('INFO', msg`[UnifiedLog partition=${p}, dir=${DIR}] Incremented log start offset to ${next} due to SegmentDeletion (kafka.log.UnifiedLog)`, 1),
        log('INFO', msg`[LocalLog partition=${p}, dir=${DIR}] Deleting segment files ${seg} (kafka.log.LocalLog$)`, 1),
        log('INFO', msg`Deleted log ${`${DIR}/${p}/${file(base)}.log.deleted`}. (org.apache.kafka.storage.internals.log.LogSegment)`, 60_000),
        log('INFO', msg`Deleted offset index ${`${DIR}/${p}/${file(base)}.index.deleted`}. (org.apache.kafka.storage.internals.log.LogSegment)`, 1),
        log('INFO', msg`Deleted time index ${`${DIR}/${p}/${file(base)}.timeindex.deleted`}. (org.apache.kafka.storage.internals.log.LogSegment)`, 1),
        log('INFO', msg`Deleted producer state snapshot ${`${DIR}/${p}/${file(base)}.snapshot.deleted`} (org.apache.kafka.storage.internals.log.SnapshotFile)`, 1),
      ];
    };

    const rebalance = (): LogRecord[] => {
      const g = rng.pick(groups);
      const gen = generations.get(g)!;
      generations.set(g, gen + 1);
      const cp = offsetsPartition(g);
      const leaver = member(g);
      const reason = rng.pick([
        `Adding new member ${member(g)} with group instance id None; client reason: need to re-join with the given member-id: ${member(g)}`,
        `removing member ${leaver} on LeaveGroup; client reason: the consumer is being closed`,
        `removing member ${leaver} on heartbeat expiration`,
        `Leader ${member(g)} re-joining group during Stable; client reason: cached metadata has changed from (version2: {orders=12}) at the beginning of the rebalance to (version3: {orders=12, order-events=12})`,
        `Updating metadata for member ${member(g)} during Stable; client reason: rebalance failed due to 'The group member needs to have a valid member id before actually entering a consumer group.' (MemberIdRequiredException)`,
      ]);
      const members = rng.int(1, 6);
      const out: LogRecord[] = [];
      if (reason.endsWith('heartbeat expiration')) out.push(log('INFO', msg`[GroupCoordinator 1]: Member ${leaver} in group ${g} has failed, removing it from the group (kafka.coordinator.group.GroupCoordinator)`));
      if (reason.startsWith('Adding new member') && rng.chance(0.6)) out.push(log('INFO', msg`[GroupCoordinator 1]: Dynamic member with unknown member id joins group ${g} in ${rng.pick(['Stable', 'CompletingRebalance'])} state. Created a new member id ${member(g)} and request the member to rejoin with this id. (kafka.coordinator.group.GroupCoordinator)`));
      out.push(log('INFO', msg`[GroupCoordinator 1]: Preparing to rebalance group ${g} in state PreparingRebalance with old generation ${gen} (${cp}) (reason: ${reason}) (kafka.coordinator.group.GroupCoordinator)`));
      out.push(log('INFO', msg`[GroupCoordinator 1]: Stabilized group ${g} generation ${gen + 1} (${cp}) with ${members} members (kafka.coordinator.group.GroupCoordinator)`, rng.int(100, 3000)));
      out.push(log('INFO', msg`[GroupCoordinator 1]: Assignment received from leader ${member(g)} for group ${g} for generation ${gen + 1}. The group has ${members} members, ${0} of which are static. (kafka.coordinator.group.GroupCoordinator)`, rng.int(5, 60)));
      return out;
    };

    const sslFailure = (): LogRecord[] => {
      const remote = privateIp(rng, '10.0');
      return [log('INFO', msg`[SocketServer listenerType=ZK_BROKER, nodeId=1] Failed authentication with /${remote} (channelId=${`10.0.5.21:9093-${remote}:${rng.int(32768, 60999)}-${rng.int(1, 400)}`}) (SSL handshake failed) (org.apache.kafka.common.network.Selector)`)];
    };
    const saslFailure = (): LogRecord[] => {
      const remote = privateIp(rng, '10.0');
      return [log('INFO', msg`[SocketServer listenerType=ZK_BROKER, nodeId=1] Failed authentication with /${remote} (channelId=${`10.0.5.21:9094-${remote}:${rng.int(32768, 60999)}-${rng.int(1, 400)}`}) (Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512) (org.apache.kafka.common.network.Selector)`)];
    };

    // Broker 3 goes away in the second half: ISR shrinks, fetchers fail, leadership moves; later it returns.
    const broker3Lost = (): LogRecord[] => {
      const fetcher = `ReplicaFetcher replicaId=1, leaderId=3, fetcherId=0`;
      const out = [
        log('INFO', msg`[${fetcher}] Node ${3} disconnected. (org.apache.kafka.clients.NetworkClient)`),
        log('WARN', msg`[${fetcher}] Connection to node ${3} (${'kafka-3.kafka-headless.kafka.svc.cluster.local/10.0.5.23:9092'}) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)`, 200),
        log('WARN', msg`[${fetcher}] Connection to node ${3} (${'kafka-3.kafka-headless.kafka.svc.cluster.local/10.0.5.23:9092'}) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)`, 1000),
        log('INFO', msg`[Broker id=1] Handling LeaderAndIsr request correlationId ${rng.int(10, 90)} from controller ${2} for ${14} partitions (state.change.logger)`),
      ];
      const led = ['orders-2', 'orders-9', 'payments-4', 'order-events-5', 'clickstream-17'];
      out.push(log('INFO', msg`[ReplicaFetcherManager on broker 1] Removed fetcher for partitions ${`Set(${led.join(', ')})`} (kafka.server.ReplicaFetcherManager)`, 3));
      out.push(log('INFO', msg`[Broker id=1] Stopped fetchers as part of LeaderAndIsr request correlationId ${rng.int(10, 90)} from controller ${2} epoch ${7} as part of the become-leader transition for ${led.length} partitions (state.change.logger)`, 2));
      for (const p of led) {
        const e = rng.int(20, 40);
        out.push(log('INFO', msg`[Broker id=1] Leader ${p} with topic id ${`Some(${rng.alnum(22)})`} starts at leader epoch ${e} from offset ${offsetOf(p)} with partition epoch ${e + 9}, high watermark ${offsetOf(p) - 10}, ISR ${'[1,2]'}, adding replicas ${'[]'} and removing replicas ${'[]'} . Previous leader epoch was ${e - 1}. (state.change.logger)`, 2));
      }
      out.push(log('INFO', msg`[Broker id=1] Finished LeaderAndIsr request in ${rng.int(20, 200)}ms correlationId ${rng.int(10, 90)} from controller ${2} for ${14} partitions (state.change.logger)`));
      out.push(log('INFO', msg`[GroupCoordinator 1]: Elected as the group coordinator for partition ${23} in epoch ${31} (kafka.coordinator.group.GroupCoordinator)`));
      out.push(log('INFO', msg`[GroupMetadataManager brokerId=1] Scheduling loading of offsets and group metadata from ${'__consumer_offsets-23'} for epoch ${31} (kafka.coordinator.group.GroupMetadataManager)`, 1));
      out.push(log('INFO', msg`[GroupMetadataManager brokerId=1] Finished loading offsets and group metadata from ${'__consumer_offsets-23'} in ${rng.int(20, 300)} milliseconds for epoch ${31}, of which ${rng.int(0, 9)} milliseconds was spent in the scheduler. (kafka.coordinator.group.GroupMetadataManager)`, 200));
      for (const p of ['orders-3', 'orders-7', 'payments-1', 'order-events-10', 'clickstream-4']) {
        out.push(log('INFO', msg`[Partition ${p} broker=1] Shrinking ISR from ${'1,2,3'} to ${'1,2'}. Leader: (highWatermark: ${offsetOf(p)}, endOffset: ${offsetOf(p) + rng.int(1, 500)}). Out of sync replicas: (brokerId: ${3}, endOffset: ${offsetOf(p) - 900}, lastCaughtUpTimeMs: ${clock.now() - 30_000}). (kafka.cluster.Partition)`, 2));
        out.push(log('INFO', msg`[Partition ${p} broker=1] ISR updated to ${'1,2'} and version updated to ${rng.int(20, 90)} (kafka.cluster.Partition)`, 4));
      }
      return out;
    };
    const fetcherDown = (): LogRecord[] => [log('WARN', msg`[${'ReplicaFetcher replicaId=1, leaderId=3, fetcherId=0'}] Connection to node ${3} (${'kafka-3.kafka-headless.kafka.svc.cluster.local/10.0.5.23:9092'}) could not be established. Broker may not be available. (org.apache.kafka.clients.NetworkClient)`)];
    const broker3Back = (): LogRecord[] => {
      const out: LogRecord[] = [];
      for (const p of ['orders-3', 'orders-7', 'payments-1', 'order-events-10', 'clickstream-4', 'orders-2', 'payments-4']) {
        out.push(log('INFO', msg`[Partition ${p} broker=1] Expanding ISR from ${'1,2'} to ${'1,2,3'} (kafka.cluster.Partition)`, rng.int(100, 4000)));
        out.push(log('INFO', msg`[Partition ${p} broker=1] ISR updated to ${'1,2,3'} and version updated to ${rng.int(20, 90)} (kafka.cluster.Partition)`, 3));
      }
      const p = 'order-events-8';
      out.push(log('INFO', msg`[ReplicaFetcherManager on broker 1] Added fetcher to broker ${3} for partitions ${`Map(${p} -> InitialFetchState(Some(${rng.alnum(22)}),BrokerEndPoint(id=3, host=kafka-3.kafka-headless.kafka.svc.cluster.local:9092),${rng.int(20, 40)},${offsetOf(p)}))`} (kafka.server.ReplicaFetcherManager)`));
      out.push(log('INFO', msg`[ReplicaFetcher replicaId=1, leaderId=3, fetcherId=0] Truncating partition ${p} with TruncationState(offset=${offsetOf(p)}, completed=true) due to leader epoch and offset EpochEndOffset(errorCode=${0}, partition=${8}, leaderEpoch=${rng.int(20, 40)}, endOffset=${offsetOf(p)}) (kafka.server.ReplicaFetcherThread)`, 40));
      out.push(log('INFO', msg`[UnifiedLog partition=${p}, dir=${DIR}] Truncating to offset ${offsetOf(p)} (kafka.log.UnifiedLog)`, 1));
      return out;
    };

    const createDlq = (): LogRecord[] => {
      const topic = 'orders-dlq';
      topics.push([topic, 3]);
      const out = [
        log('INFO', msg`Creating topic ${topic} with configuration ${'{}'} and initial partition assignment ${'HashMap(0 -> ArrayBuffer(1, 2, 3), 1 -> ArrayBuffer(2, 3, 1), 2 -> ArrayBuffer(3, 1, 2))'} (kafka.zk.AdminZkClient)`),
        log('INFO', msg`[KafkaApi-1] Auto creation of topic ${topic} with ${3} partitions and replication factor ${3} is successful (kafka.server.DefaultAutoTopicCreationManager)`, 30),
        log('INFO', msg`[Broker id=1] Handling LeaderAndIsr request correlationId ${rng.int(90, 200)} from controller ${2} for ${3} partitions (state.change.logger)`, 40),
      ];
      for (let i = 0; i < 3; i++) {
        const p = `${topic}-${i}`;
        out.push(
          log('INFO', msg`[LogLoader partition=${p}, dir=${DIR}] Loading producer state till offset ${0} with message format version ${2} (kafka.log.UnifiedLog$)`, 2),
          log('INFO', msg`Created log for partition ${p} in ${`${DIR}/${p}`} with properties ${'{}'} (kafka.log.LogManager)`, 1),
          log('INFO', msg`[Partition ${p} broker=1] No checkpointed highwatermark is found for partition ${p} (kafka.cluster.Partition)`, 1),
          log('INFO', msg`[Partition ${p} broker=1] Log loaded for partition ${p} with initial high watermark ${0} (kafka.cluster.Partition)`, 1),
        );
        out.push(
          i === 0
            ? log('INFO', msg`[Broker id=1] Leader ${p} with topic id ${`Some(${rng.alnum(22)})`} starts at leader epoch ${0} from offset ${0} with partition epoch ${0}, high watermark ${0}, ISR ${'[1,2,3]'}, adding replicas ${'[]'} and removing replicas ${'[]'} . Previous leader epoch was ${-1}. (state.change.logger)`, 1)
            : log('INFO', msg`[Broker id=1] Follower ${p} starts at leader epoch ${0} from offset ${0} with partition epoch ${0} and high watermark ${0}. Current leader is ${i + 1}. Previous leader epoch was ${-1}. (state.change.logger)`, 1),
        );
      }
      out.push(log('INFO', msg`[ReplicaFetcherManager on broker 1] Added fetcher to broker ${2} for partitions ${`Map(${topic}-1 -> InitialFetchState(Some(${rng.alnum(22)}),BrokerEndPoint(id=2, host=kafka-2.kafka-headless.kafka.svc.cluster.local:9092),0,0))`} (kafka.server.ReplicaFetcherManager)`, 3));
      out.push(log('INFO', msg`[ReplicaFetcherManager on broker 1] Added fetcher to broker ${3} for partitions ${`Map(${topic}-2 -> InitialFetchState(Some(${rng.alnum(22)}),BrokerEndPoint(id=3, host=kafka-3.kafka-headless.kafka.svc.cluster.local:9092),0,0))`} (kafka.server.ReplicaFetcherManager)`, 1));
      return out;
    };

    const background = [
      { weight: 26, emit: roll },
      { weight: 5, emit: () => retention() },
      { weight: 4, emit: () => [log('INFO', msg`[GroupMetadataManager brokerId=1] Removed ${rng.pick([0, 0, 0, 1, 3, 12])} expired offsets in ${rng.int(0, 4)} milliseconds. (kafka.coordinator.group.GroupMetadataManager)`)] },
      { weight: 6, emit: rebalance },
      { weight: 1.5, emit: sslFailure },
      { weight: 0.3, emit: saslFailure },
      { weight: 0.4, emit: () => { const g = rng.pick(groups); return [log('INFO', msg`[GroupCoordinator 1]: Group ${g} with generation ${generations.get(g)!} is now empty (${offsetsPartition(g)}) (kafka.coordinator.group.GroupCoordinator)`)]; } },
      { weight: 0.3, emit: () => [log('INFO', msg`[TransactionCoordinator id=1] Completed rollback of ongoing transaction for transactionalId ${`connect-s3-sink-${rng.int(0, 3)}`} due to timeout (kafka.coordinator.transaction.TransactionCoordinator)`)] },
    ];

    return schedule(rng, 900, background, [
      { at: 0.53, emit: newGroup },
      { at: 0.57, emit: broker3Lost },
      { at: 0.59, emit: fetcherDown },
      { at: 0.61, emit: fetcherDown },
      { at: 0.64, emit: fetcherDown },
      { at: 0.68, emit: broker3Back },
      { at: 0.78, emit: createDlq },
      { at: 0.88, emit: () => retention(true) },
      { at: 0.93, emit: () => retention(true) },
    ]);
  },
};

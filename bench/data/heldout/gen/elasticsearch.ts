/**
 * Elasticsearch 8.12 plain-text server log of `es-0`, the elected master of a
 * three-node logging cluster (data streams under ILM, nightly SLM snapshots):
 * `[time][LEVEL][logger] [node] message`. Bracketed and braced structures inside a
 * message (index names, node descriptors, JSON step keys) are parameters. Stack traces
 * that follow some WARN/ERROR lines are left out.
 */
import { createClock, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { pad } from './values.js';

const NODE = 'es-0';

export const elasticsearch: SystemSpec = {
  name: 'Elasticsearch',
  columns: ['Time', 'Level', 'Logger', 'Node'],
  render: (f, content) => `[${f.Time}][${f.Level!.padEnd(5)}][${f.Logger}] [${f.Node}] ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 0, 0, 0), 5200);
    const log = (level: string, logger: string, m: Msg, gap?: number): LogRecord => {
      const t = new Date(clock.tick(gap)).toISOString();
      return { fields: { Time: `${t.slice(0, 19)},${t.slice(20, 23)}`, Level: level, Logger: logger, Node: NODE }, msg: m };
    };
    const id = (): string => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      let out = '';
      for (let i = 0; i < 22; i++) out += alphabet[rng.int(0, alphabet.length - 1)];
      return out;
    };
    const nodes = ['es-0', 'es-1', 'es-2'].map((name, i) => ({ name, id: id(), eph: id(), ip: `10.0.6.${10 + i}` }));
    const descriptor = (n: (typeof nodes)[number]): string => `{${n.name}}{${n.id}}{${n.eph}}{${n.name}}{${n.ip}}{${n.ip}:9300}{cdfhilmrstw}{8.12.2}{7000099-8500010}`;
    const streams = ['logs-app-default', 'logs-nginx.access-default', 'logs-kubernetes.container_logs-default', 'metrics-system.cpu-default', 'traces-apm-default'];
    const generation = new Map(streams.map((s) => [s, rng.int(20, 60)]));
    // A new data stream starts receiving documents in the second half.
    const newStream = (): LogRecord[] => {
      streams.push('logs-payments-default');
      generation.set('logs-payments-default', 1);
      const index = backing('logs-payments-default');
      return [
        log('INFO', 'o.e.c.m.MetadataCreateIndexService', msg`[${index}] creating index, cause [${'initialize_data_stream'}], templates [${'logs'}], shards [${1}]/[${1}]`),
        log('INFO', 'o.e.c.m.MetadataCreateDataStreamService', msg`adding data stream [${'logs-payments-default'}] with write index [${index}], backing indices [${'[]'}], and aliases [${'[]'}]`, 5),
        log('INFO', 'o.e.c.m.MetadataMappingService', msg`[${index}/${uuidOf(index)}] update_mapping [${'_doc'}]`, 80),
      ];
    };
    const backing = (s: string, gen = generation.get(s)!, day = 12): string => `.ds-${s}-2024.03.${pad(day)}-${String(gen).padStart(6, '0')}`;
    const uuids = new Map<string, string>();
    const uuidOf = (index: string): string => uuids.get(index) ?? (uuids.set(index, id()), uuids.get(index)!);
    const term = 12;
    let version = rng.int(30000, 40000);
    const next = (): number => (version += rng.int(1, 4));

    const updateMapping = (): LogRecord[] => {
      const index = backing(rng.pick(streams));
      return [log('INFO', 'o.e.c.m.MetadataMappingService', msg`[${index}/${uuidOf(index)}] update_mapping [${'_doc'}]`)];
    };
    const rollover = (): LogRecord[] => {
      const s = rng.pick(streams);
      generation.set(s, generation.get(s)! + 1);
      const index = backing(s);
      return [
        log('INFO', 'o.e.c.m.MetadataCreateIndexService', msg`[${index}] creating index, cause [${'rollover_data_stream'}], templates [${s.split('-').slice(0, 2).join('-')}], shards [${1}]/[${1}]`),
        log('INFO', 'o.e.x.i.IndexLifecycleTransition', msg`moving index [${backing(s, generation.get(s)! - 1)}] from [${'{"phase":"hot","action":"rollover","name":"attempt-rollover"}'}] to [${'{"phase":"hot","action":"rollover","name":"wait-for-active-shards"}'}] in policy [${s.startsWith('logs') ? 'logs' : s.split('-')[0]!}]`, 40),
        log('INFO', 'o.e.c.r.a.AllocationService', msg`Cluster health status changed from [${'YELLOW'}] to [${'GREEN'}] (reason: [${`shards started [[${index}][0]]`}]).`, rng.int(300, 2000)),
      ];
    };
    const ilmMove = (): LogRecord[] => {
      const s = rng.pick(streams);
      const [from, to] = rng.pick([
        ['{"phase":"hot","action":"complete","name":"complete"}', '{"phase":"warm","action":"migrate","name":"branch-check-skip-action"}'],
        ['{"phase":"warm","action":"migrate","name":"branch-check-skip-action"}', '{"phase":"warm","action":"migrate","name":"migrate"}'],
        ['{"phase":"warm","action":"complete","name":"complete"}', '{"phase":"delete","action":"delete","name":"wait-for-shard-history-leases"}'],
        ['{"phase":"hot","action":"rollover","name":"wait-for-active-shards"}', '{"phase":"hot","action":"rollover","name":"update-rollover-lifecycle-date"}'],
      ]);
      return [log('INFO', 'o.e.x.i.IndexLifecycleTransition', msg`moving index [${backing(s, generation.get(s)! - rng.int(1, 9), rng.int(1, 11))}] from [${from}] to [${to}] in policy [${s.startsWith('logs') ? 'logs' : s.split('-')[0]!}]`)];
    };
    const deleteOld = (): LogRecord[] => {
      const s = rng.pick(streams);
      return [log('INFO', 'o.e.c.m.MetadataDeleteIndexService', msg`[${backing(s, generation.get(s)! - rng.int(10, 20), rng.int(1, 5))}/${id()}] deleting index`)];
    };
    const gcOverhead = (level: 'INFO' | 'WARN'): LogRecord[] => [
      log(level, 'o.e.m.j.JvmGcMonitorService', msg`[gc][${rng.int(100000, 999999)}] overhead, spent [${`${level === 'WARN' ? rng.int(500, 900) : rng.int(250, 499)}ms`}] collecting in the last [${'1s'}]`),
    ];
    const youngGc = (): LogRecord[] => {
      const before = rng.int(80, 150) / 10;
      return [
        log('WARN', 'o.e.m.j.JvmGcMonitorService', msg`[gc][young][${rng.int(100000, 999999)}][${rng.int(1000, 9999)}] duration [${`${(rng.int(10, 30) / 10).toFixed(1)}s`}], collections [${1}]/[${`${(rng.int(15, 40) / 10).toFixed(1)}s`}], total [${`${(rng.int(10, 30) / 10).toFixed(1)}s`}]/[${`${(rng.int(10, 40) / 10).toFixed(1)}h`}], memory [${`${before.toFixed(1)}gb`}]->[${`${(before - 3.2).toFixed(1)}gb`}]/[${'16gb'}], all_pools ${`{[young] [3.2gb]->[0b]/[0b]}{[old] [${(before - 3.4).toFixed(1)}gb]->[${(before - 3.4).toFixed(1)}gb]/[16gb]}{[survivor] [${rng.int(100, 300)}mb]->[${rng.int(100, 300)}mb]/[0b]}`}`),
      ];
    };
    const slm = (): LogRecord[] => {
      const snap = `nightly-snap-2024.03.12-${rng.alnum(22)}`;
      const repo = 'found-snapshots';
      return [
        log('INFO', 'o.e.x.s.SnapshotLifecycleTask', msg`snapshot lifecycle policy [${'nightly-snapshots'}] issuing create snapshot [${snap}]`),
        log('INFO', 'o.e.s.SnapshotsService', msg`snapshot [${`${repo}:${snap}/${id()}`}] started`, 200),
        log('INFO', 'o.e.x.s.SnapshotLifecycleTask', msg`snapshot lifecycle policy job [${'nightly-snapshots-1'}] issued new snapshot creation for [${snap}] successfully`, 10),
        log('INFO', 'o.e.s.SnapshotsService', msg`snapshot [${`${repo}:${snap}/${id()}`}] completed with state [${'SUCCESS'}]`, rng.int(20_000, 90_000)),
        log('INFO', 'o.e.x.s.SnapshotRetentionTask', msg`starting SLM retention snapshot cleanup task`, 60_000),
        log('INFO', 'o.e.x.s.SnapshotRetentionTask', msg`starting snapshot retention deletion for [${rng.int(1, 3)}] snapshots`, 100),
        log('INFO', 'o.e.x.s.SnapshotRetentionTask', msg`SLM retention snapshot cleanup task complete`, 3000),
      ];
    };
    const sleptTimer = (): LogRecord[] => {
      const ms = rng.int(5001, 9000);
      return [
        log('WARN', 'o.e.t.ThreadPool', msg`timer thread slept for [${`${(ms / 1000).toFixed(1)}s/${ms}ms`}] on absolute clock which is above the warn threshold of [${'5000ms'}]`),
        log('WARN', 'o.e.t.ThreadPool', msg`timer thread slept for [${`${(ms / 1000).toFixed(1)}s/${ms}${rng.int(100000, 999999)}ns`}] on relative clock which is above the warn threshold of [${'5000ms'}]`, 1),
      ];
    };
    const slowUpdate = (): LogRecord[] => {
      const index = backing(rng.pick(streams));
      return [log('WARN', 'o.e.c.s.MasterService', msg`took [${`${(rng.int(101, 300) / 10).toFixed(1)}s`}], which is over [${'10s'}], to compute cluster state update for [${`put-mapping [${index}/${uuidOf(index)}][_doc]`}]`)];
    };

    const es2 = nodes[2]!;
    const diskPressure = (): LogRecord[] => {
      const watermark = (level: 'INFO' | 'WARN', text: (free: string) => Msg): LogRecord => {
        const pct = rng.int(40, 140) / 10;
        return log(level, 'o.e.c.r.a.DiskThresholdMonitor', text(`${((pct / 100) * 400).toFixed(1)}gb[${pct}%]`));
      };
      const on = `[${es2.id}][${es2.name}][/usr/share/elasticsearch/data]`;
      return [
        watermark('INFO', (free) => msg`low disk watermark [${'85%'}] exceeded on ${on} free: ${free}, replicas will not be assigned to this node`),
        watermark('INFO', (free) => msg`low disk watermark [${'85%'}] exceeded on ${on} free: ${free}, replicas will not be assigned to this node`),
        watermark('WARN', (free) => msg`high disk watermark [${'90%'}] exceeded on ${on} free: ${free}, shards will be relocated away from this node; currently relocating away shards totalling [${0}] bytes; the node is expected to continue to exceed the high disk watermark when these relocations are complete`),
        ...updateMapping(),
        watermark('WARN', (free) => msg`flood stage disk watermark [${'95%'}] exceeded on ${on} free: ${free}, all indices on this node will be marked read-only`),
        log('INFO', 'o.e.c.r.a.DiskThresholdMonitor', msg`releasing read-only block on indices ${'[.ds-logs-app-default-2024.03.12-000044, .ds-traces-apm-default-2024.03.12-000031]'} since they are now allocated to nodes with sufficient disk space`, 300_000),
      ];
    };
    const nodeLost = (): LogRecord[] => {
      const delayed = rng.int(8, 20);
      return [
        log('INFO', 'o.e.c.s.MasterService', msg`node-left[${`${descriptor(es2)} reason: disconnected`}], term: ${term}, version: ${next()}, delta: removed {${descriptor(es2)}}`),
        log('INFO', 'o.e.c.s.ClusterApplierService', msg`removed {${descriptor(es2)}}, term: ${term}, version: ${version}, reason: ${`Publication{term=${term}, version=${version}}`}`, 40),
        log('INFO', 'o.e.c.r.DelayedAllocationService', msg`scheduling reroute for delayed shards in [${`${(rng.int(580, 599) / 10).toFixed(1)}s`}] (${delayed} delayed shards)`, 5),
        log('INFO', 'o.e.c.r.a.AllocationService', msg`Cluster health status changed from [${'GREEN'}] to [${'YELLOW'}] (reason: [${`{${es2.name}}{${es2.id}}{${es2.eph}}{${es2.name}}{${es2.ip}}{${es2.ip}:9300}{cdfhilmrstw}{8.12.2}{7000099-8500010} reason: disconnected`}]).`, 2),
        log('ERROR', 'o.e.x.m.c.i.IndexStatsCollector', msg`collector [${'index-stats'}] timed out when collecting data: node [${es2.id}] did not respond within [${'10s'}]`, 9000),
        log('ERROR', 'o.e.x.m.c.c.ClusterStatsCollector', msg`collector [${'cluster_stats'}] timed out when collecting data: node [${es2.id}] did not respond within [${'10s'}]`, 1),
      ];
    };
    const nodeBack = (): LogRecord[] => {
      es2.eph = id();
      return [
        log('INFO', 'o.e.c.s.MasterService', msg`node-join[${`${descriptor(es2)} joining`}], term: ${term}, version: ${next()}, delta: added {${descriptor(es2)}}`),
        log('INFO', 'o.e.c.s.ClusterApplierService', msg`added {${descriptor(es2)}}, term: ${term}, version: ${version}, reason: ${`Publication{term=${term}, version=${version}}`}`, 60),
        log('INFO', 'o.e.c.m.MetadataUpdateSettingsService', msg`updating number_of_replicas to [${2}] for indices [${'.security-7, .kibana_8.12.2_001, .kibana_task_manager_8.12.2_001'}]`, 30),
        log('INFO', 'o.e.c.r.a.AllocationService', msg`Cluster health status changed from [${'YELLOW'}] to [${'GREEN'}] (reason: [${'shards started [[.ds-logs-app-default-2024.03.12-000044][0], [.ds-traces-apm-default-2024.03.12-000031][0]]'}]).`, rng.int(20_000, 90_000)),
      ];
    };
    const heapPressure = (): LogRecord[] => {
      const before = rng.int(15_500_000_000, 16_200_000_000);
      return [
        log('INFO', 'o.e.i.b.HierarchyCircuitBreakerService', msg`attempting to trigger G1GC due to high heap usage [${before}]`),
        log('INFO', 'o.e.i.b.HierarchyCircuitBreakerService', msg`GC did bring memory usage down, before [${before}], after [${rng.int(9_000_000_000, 11_000_000_000)}], allocations [${rng.int(1, 40)}], duration [${rng.int(50, 400)}]`, 400),
        ...gcOverhead('WARN'),
        log('INFO', 'o.e.i.b.HierarchyCircuitBreakerService', msg`attempting to trigger G1GC due to high heap usage [${before + 90_000_000}]`, 20_000),
        log('INFO', 'o.e.i.b.HierarchyCircuitBreakerService', msg`GC did not bring memory usage down, before [${before + 90_000_000}], after [${before + 40_000_000}], allocations [${rng.int(1, 40)}], duration [${rng.int(50, 400)}]`, 400),
      ];
    };
    const kibanaAuth = (): LogRecord[] => [log('WARN', 'o.e.x.s.a.RealmsAuthenticator', msg`Authentication of [${'kibana_system'}] was terminated by realm [${'reserved'}] - failed to authenticate user [${'kibana_system'}]`)];
    const ilmError = (): LogRecord[] => {
      const index = backing('logs-nginx.access-default');
      return [log('ERROR', 'o.e.x.i.IndexLifecycleRunner', msg`policy [${'logs'}] for index [${index}] failed on step [${'{"phase":"hot","action":"rollover","name":"attempt-rollover"}'}]. Moving to ERROR step`)];
    };

    const background = [
      { weight: 30, emit: updateMapping },
      { weight: 5, emit: rollover },
      { weight: 16, emit: ilmMove },
      { weight: 2, emit: deleteOld },
      { weight: 8, emit: () => gcOverhead('INFO') },
      { weight: 1.5, emit: () => gcOverhead('WARN') },
      { weight: 0.6, emit: youngGc },
      { weight: 0.5, emit: sleptTimer },
      { weight: 0.8, emit: slowUpdate },
    ];

    return schedule(rng, 800, background, [
      { at: 0.1, emit: slm },
      { at: 0.52, emit: newStream },
      { at: 0.56, emit: diskPressure },
      { at: 0.63, emit: nodeLost },
      { at: 0.66, emit: nodeBack },
      { at: 0.75, emit: heapPressure },
      { at: 0.8, emit: kibanaAuth },
      { at: 0.81, emit: kibanaAuth },
      { at: 0.88, emit: ilmError },
    ]);
  },
};

/**
 * Redis 7.2 server log at `loglevel notice`: `pid:role dd Mon yyyy hh:mm:ss.mmm L msg`
 * with role M (master), S (replica) or C (forked child) and level mark `*` notice,
 * `#` warning. A master with one replica, RDB snapshots and AOF on, restarted once,
 * demoted by Sentinel during a failover and promoted again later.
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { MONTHS, pad, parts, privateIp } from './values.js';

const REPLICA = '10.0.4.12:6379';
const SELF = '10.0.4.11:6379';

export const redis: SystemSpec = {
  name: 'Redis',
  columns: ['Pid', 'Role', 'Date', 'Time', 'Level'],
  render: (f, content) => `${f.Pid}:${f.Role} ${f.Date} ${f.Time} ${f.Level} ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 9, 0, 12, 0), 240_000);
    let role = 'M';
    let childPid = 40;
    let aofSeq = 12;
    let replOffset = rng.int(10_000_000, 90_000_000);
    const log = (level: '*' | '#', m: Msg, o: { pid?: number; role?: string; gap?: number } = {}): LogRecord => {
      const p = parts(clock.tick(o.gap));
      return {
        fields: { Pid: String(o.pid ?? 1), Role: o.role ?? role, Date: `${pad(p.d)} ${MONTHS[p.mo - 1]} ${p.y}`, Time: `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}.${pad(p.ms, 3)}`, Level: level },
        msg: m,
      };
    };
    const child = (level: '*' | '#', m: Msg, gap: number): LogRecord => log(level, m, { pid: childPid, role: 'C', gap });
    const mb = (): number => rng.int(0, 9);
    const clientInfo = (name: string, extra: string): string =>
      `id=${rng.int(10, 99999)} addr=${privateIp(rng, '10.0')}:${rng.int(32768, 60999)} laddr=${SELF} fd=${rng.int(8, 400)} name=${name} age=${rng.int(0, 90000)} idle=${rng.int(0, 9)} ${extra} user=default redir=-1 resp=${rng.pick([2, 3])} lib-name=${rng.pick(['redis-py', 'lettuce', 'ioredis', ''])} lib-ver=${rng.pick(['5.0.1', '6.3.1.RELEASE', ''])}`;

    const start = (version: string, age: number): LogRecord[] => [
      log('*', k('oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo'), { gap: 2000 }),
      log('*', msg`Redis version=${version}, bits=${64}, commit=${'00000000'}, modified=${0}, pid=${1}, just started`, { gap: 1 }),
      log('*', k('Configuration loaded'), { gap: 1 }),
      log('*', msg`monotonic clock: ${'POSIX clock_gettime'}`, { gap: 1 }),
      log('*', msg`Running mode=${'standalone'}, port=${6379}.`, { gap: 1 }),
      log('#', msg`WARNING: The TCP backlog setting of ${511} cannot be enforced because ${'/proc/sys/net/core/somaxconn'} is set to the lower value of ${128}.`, { gap: 1 }),
      log('*', k('Server initialized'), { gap: 1 }),
      log('#', k("WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect."), { gap: 1 }),
      log('*', msg`Reading RDB base file on AOF loading...`, { gap: 1 }),
      log('*', msg`Loading RDB produced by version ${version === '7.2.5' ? '7.2.4' : version}`, { gap: 1 }),
      log('*', msg`RDB age ${age} seconds`, { gap: 1 }),
      log('*', msg`RDB memory usage when created ${(rng.int(40000, 60000) / 100).toFixed(2)} Mb`, { gap: 1 }),
      log('*', msg`Done loading RDB, keys loaded: ${rng.int(1_700_000, 1_900_000)}, keys expired: ${rng.int(0, 3000)}.`, { gap: 3100 }),
      log('*', msg`DB loaded from append only file: ${(rng.int(2000, 4000) / 1000).toFixed(3)} seconds`, { gap: 1 }),
      log('*', msg`Opening AOF incr file ${`appendonly.aof.${aofSeq}.incr.aof`} on server start`, { gap: 1 }),
      log('*', k('Ready to accept connections tcp'), { gap: 1 }),
    ];

    const save = (): LogRecord[] => {
      childPid += rng.int(1, 30);
      const [changes, secs] = rng.pick([[1, 3600], [100, 300], [10000, 60]] as const);
      const cur = mb();
      return [
        log('*', msg`${changes + rng.int(0, changes * 3)} changes in ${secs} seconds. Saving...`),
        log('*', msg`Background saving started by pid ${childPid}`, { gap: 1 }),
        child('*', k('DB saved on disk'), rng.int(2500, 6000)),
        child('*', msg`Fork CoW for RDB: current ${cur} MB, peak ${cur + rng.int(0, 3)} MB, average ${Math.max(0, cur - 1)} MB`, 1),
        log('*', k('Background saving terminated with success'), { gap: rng.int(50, 120) }),
      ];
    };

    const aofRewrite = (): LogRecord[] => {
      childPid += rng.int(1, 30);
      aofSeq += 1;
      const cur = mb() + 2;
      return [
        log('*', msg`Creating AOF incr file ${`appendonly.aof.${aofSeq}.incr.aof`} on background rewrite`),
        log('*', msg`Background append only file rewriting started by pid ${childPid}`, { gap: 1 }),
        child('*', msg`Successfully created the temporary AOF base file ${`temp-rewriteaof-bg-${childPid}.aof`}`, rng.int(2500, 7000)),
        child('*', msg`Fork CoW for AOF rewrite: current ${cur} MB, peak ${cur + 1} MB, average ${cur - 1} MB`, 1),
        log('*', k('Background AOF rewrite terminated with success'), { gap: 90 }),
        log('*', msg`Successfully renamed the temporary AOF base file ${`temp-rewriteaof-bg-${childPid}.aof`} into ${`appendonly.aof.${aofSeq}.base.rdb`}`, { gap: 1 }),
        log('*', msg`Removing the history file ${`appendonly.aof.${aofSeq - 1}.incr.aof`} in the background`, { gap: 1 }),
        log('*', msg`Removing the history file ${`appendonly.aof.${aofSeq - 1}.base.rdb`} in the background`, { gap: 1 }),
        log('*', k('Background AOF rewrite finished successfully'), { gap: 1 }),
      ];
    };

    const replicaReconnect = (): LogRecord[] => {
      replOffset += rng.int(100_000, 9_000_000);
      return [
        log('*', msg`Connection with replica ${REPLICA} lost.`),
        log('*', msg`Replica ${REPLICA} asks for synchronization`, { gap: rng.int(1000, 9000) }),
        log('*', msg`Partial resynchronization request from ${REPLICA} accepted. Sending ${rng.int(0, 90000)} bytes of backlog starting from offset ${replOffset}.`, { gap: 1 }),
      ];
    };

    const shutdownRestart = (): LogRecord[] => [
      log('#', k('Received SIGTERM scheduling shutdown...')),
      log('#', k('User requested shutdown...'), { gap: 100 }),
      log('*', k('Waiting for replicas before shutting down.'), { gap: 1 }),
      log('*', msg`${1} of ${1} replicas are in sync when shutting down.`, { gap: 10 }),
      log('*', k('Calling fsync() on the AOF file.'), { gap: 1 }),
      log('*', k('Saving the final RDB snapshot before exiting.'), { gap: 1 }),
      log('*', k('DB saved on disk'), { gap: 3900 }),
      log('*', k('Removing the pid file.'), { gap: 1 }),
      log('#', k('Redis is now ready to exit, bye bye...'), { gap: 1 }),
      ...start('7.2.5', rng.int(5, 12)),
      log('*', msg`Replica ${REPLICA} asks for synchronization`, { gap: 4000 }),
      log('*', msg`Full resync requested by replica ${REPLICA}`, { gap: 1 }),
      log('*', msg`Replication backlog created, my new replication IDs are '${rng.hex(40)}' and '${'0000000000000000000000000000000000000000'}'`, { gap: 1 }),
      log('*', msg`Delay next BGSAVE for diskless SYNC`, { gap: 1 }),
      log('*', msg`Starting BGSAVE for SYNC with target: ${'replicas sockets'}`, { gap: 5000 }),
      log('*', msg`Background RDB transfer started by pid ${(childPid += 7)}`, { gap: 1 }),
      child('*', msg`Fork CoW for RDB: current ${mb()} MB, peak ${mb() + 2} MB, average ${mb()} MB`, 9000),
      log('*', msg`Diskless rdb transfer, done reading from pipe, ${1} replicas still up.`, { gap: 1 }),
      log('*', k('Background RDB transfer terminated with success'), { gap: 80 }),
      log('*', msg`Streamed RDB transfer with replica ${REPLICA} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming`, { gap: 1 }),
      log('*', msg`Synchronization with replica ${REPLICA} succeeded`, { gap: 200 }),
    ];

    const sentinelClient = (): string => clientInfo(`sentinel-${rng.hex(8)}-cmd`, `flags=x db=0 sub=0 psub=0 ssub=0 multi=4 watch=0 qbuf=${rng.int(150, 210)} qbuf-free=${rng.int(20000, 20500)} argv-mem=4 multi-mem=169 rbs=1024 rbp=1024 obl=45 oll=0 omem=0 tot-mem=${rng.int(22000, 23000)} events=r cmd=exec`);
    const demoted = (): LogRecord[] => {
      const out = [
        log('*', msg`Connection with replica ${REPLICA} lost.`),
        log('*', k('Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.'), { gap: 30_000 }),
        log('*', msg`Connecting to MASTER ${REPLICA}`, { gap: 1 }),
      ];
      role = 'S';
      out.push(
        log('*', k('MASTER <-> REPLICA sync started'), { gap: 1 }),
        log('*', msg`REPLICAOF ${REPLICA} enabled (user request from '${sentinelClient()}')`, { gap: 1 }),
        log('*', k('CONFIG REWRITE executed with success.'), { gap: 2 }),
        log('*', k('Non blocking connect for SYNC fired the event.'), { gap: 2 }),
        log('*', k('Master replied to PING, replication can continue...'), { gap: 1 }),
        log('*', msg`Trying a partial resynchronization (request ${rng.hex(40)}:${(replOffset += rng.int(1000, 90000))}).`, { gap: 1 }),
        log('*', msg`Successful partial resynchronization with master.`, { gap: 1 }),
        log('*', k('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.'), { gap: 1 }),
      );
      return out;
    };
    const masterLinkDown = (): LogRecord[] => [
      log('#', k('Connection with master lost.')),
      log('*', k('Caching the disconnected master state.'), { gap: 1 }),
      log('*', msg`Reconnecting to MASTER ${REPLICA} after failure`, { gap: 1000 }),
      log('*', k('MASTER <-> REPLICA sync started'), { gap: 1 }),
      log('#', k('Error condition on socket for SYNC: Connection refused'), { gap: 1 }),
      log('*', msg`Connecting to MASTER ${REPLICA}`, { gap: 1000 }),
      log('*', k('MASTER <-> REPLICA sync started'), { gap: 1 }),
      log('*', k('Non blocking connect for SYNC fired the event.'), { gap: 2 }),
      log('*', k('Master replied to PING, replication can continue...'), { gap: 1 }),
      log('*', msg`Trying a partial resynchronization (request ${rng.hex(40)}:${(replOffset += rng.int(1000, 90000))}).`, { gap: 1 }),
      log('*', msg`Successful partial resynchronization with master.`, { gap: 1 }),
      log('*', k('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.'), { gap: 1 }),
    ];
    const promoted = (): LogRecord[] => {
      const out = [
        log('*', msg`Setting secondary replication ID to ${rng.hex(40)}, valid up to offset: ${(replOffset += 40_000)}. New replication ID is ${rng.hex(40)}`),
        log('*', k('Discarding previously cached master state.'), { gap: 1 }),
      ];
      role = 'M';
      out.push(
        log('*', msg`MASTER MODE enabled (user request from '${sentinelClient()}')`, { gap: 1 }),
        log('*', k('CONFIG REWRITE executed with success.'), { gap: 2 }),
        log('*', msg`Replica ${REPLICA} asks for synchronization`, { gap: 3000 }),
        log('*', msg`Partial resynchronization request from ${REPLICA} accepted. Sending ${rng.int(0, 90000)} bytes of backlog starting from offset ${replOffset}.`, { gap: 1 }),
      );
      return out;
    };
    const slowDisk = (): LogRecord[] => [
      log('*', k('Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.')),
      log('*', k('Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.'), { gap: 3000 }),
    ];
    const diskFull = (): LogRecord[] => {
      childPid += rng.int(1, 30);
      return [
        log('*', msg`${rng.int(100, 400)} changes in ${300} seconds. Saving...`),
        log('*', msg`Background saving started by pid ${childPid}`, { gap: 1 }),
        child('#', k('Write error saving DB on disk: No space left on device'), 2000),
        log('#', k('Background saving error'), { gap: 100 }),
        log('#', k('Error writing to the AOF file: No space left on device'), { gap: 400 }),
        log('#', k('AOF write error looks solved, Redis can write again.'), { gap: 60_000 }),
      ];
    };

    const background = [
      { weight: 14, emit: save },
      { weight: 3, emit: aofRewrite },
      { weight: 1.5, emit: () => (role === 'M' ? replicaReconnect() : masterLinkDown()) },
      { weight: 0.6, emit: () => [log('#', msg`Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection from ${`${privateIp(rng, '10.0')}:${rng.int(32768, 60999)}`} aborted.`)] },
      { weight: 0.5, emit: () => [log('#', msg`Client ${clientInfo(`notifications-${rng.int(1, 4)}`, `flags=P db=0 sub=0 psub=${rng.int(1, 3)} ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=${rng.int(900, 9000)} omem=${rng.int(33_554_432, 40_000_000)} tot-mem=${rng.int(33_560_000, 40_100_000)} events=rw cmd=psubscribe`)} closed for overcoming of output buffer limits.`)] },
    ];

    return schedule(rng, 800, background, [
      { at: 0, emit: () => start('7.2.4', rng.int(3, 9)) },
      { at: 0.43, emit: shutdownRestart },
      { at: 0.62, emit: slowDisk },
      { at: 0.68, emit: demoted },
      { at: 0.74, emit: masterLinkDown },
      { at: 0.82, emit: promoted },
      { at: 0.88, emit: diskFull },
      { at: 0.9, emit: slowDisk },
    ]);
  },
};

/**
 * An Ubuntu 24.04 Docker host's journal as `journalctl` prints it (short format):
 * `Mon dd hh:mm:ss host ident[pid]: message`. The header is up to `: `; the content
 * is the message of whichever program logged: systemd (units by id and description),
 * logind, sshd, CRON, sudo, the kernel (netfilter, bridge ports, OOM killer), dockerd
 * and containerd (logrus `key=value` lines), resolved, networkd, timesyncd, snapd.
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { MONTHS, pad, parts, privateIp, publicIp } from './values.js';

const HOST = 'ip-172-31-20-57';

export const journald: SystemSpec = {
  name: 'Journald',
  columns: ['Month', 'Day', 'Time', 'Host', 'Component', 'Pid'],
  render: (f, content) => `${f.Month} ${f.Day} ${f.Time} ${f.Host} ${f.Component}${f.Pid ? `[${f.Pid}]` : ''}: ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 0, 0, 0), 9000);
    let nextPid = 30_000;
    const log = (component: string, pid: number | '', m: Msg, gap?: number): LogRecord => {
      const p = parts(clock.tick(gap));
      return { fields: { Month: MONTHS[p.mo - 1]!, Day: pad(p.d), Time: `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`, Host: HOST, Component: component, Pid: String(pid) }, msg: m };
    };
    const systemd = (m: Msg, gap?: number): LogRecord => log('systemd', 1, m, gap);
    const kernel = (m: Msg, gap?: number): LogRecord => log('kernel', '', m, gap);
    const logrus = (component: 'dockerd' | 'containerd', level: string, body: Msg, gap?: number): LogRecord => {
      const at = new Date(clock.tick(gap)).toISOString().replace('Z', `${pad(rng.int(0, 999999), 6)}Z`);
      return log(component, component === 'dockerd' ? 913 : 802, msg`time="${at}" level=${k(level)} ${body}`, 0);
    };
    const consumed = (unit: string, cpu: string): Msg => msg`${unit}: Consumed ${cpu} CPU time, ${`${(rng.next() * 40 + 1).toFixed(1)}M`} memory peak, ${'0B'} memory swap peak.`;
    const cpuTime = (): string => (rng.chance(0.85) ? `${(rng.next() * 3).toFixed(3)}s` : `${rng.int(1, 3)}min ${(rng.next() * 59).toFixed(3)}s`);

    const timerJobs: Array<readonly [string, string]> = [
      ['sysstat-collect.service', 'system activity accounting tool'],
      ['apt-daily.service', 'Daily apt download activities'],
      ['apt-daily-upgrade.service', 'Daily apt upgrade and clean activities'],
      ['logrotate.service', 'Rotate log files'],
      ['man-db.service', 'Daily man-db regeneration'],
      ['motd-news.service', 'Message of the Day'],
      ['fwupd-refresh.service', 'Refresh fwupd metadata and update motd'],
      ['systemd-tmpfiles-clean.service', 'Cleanup of Temporary Directories'],
      ['dpkg-db-backup.service', 'Daily dpkg database backup service'],
      ['update-notifier-download.service', 'Download data for packages that failed at package install time'],
    ];
    const timerJob = (): LogRecord[] => {
      const [unit, desc] = rng.chance(0.5) ? timerJobs[0]! : rng.pick(timerJobs);
      const out = [systemd(msg`Starting ${`${unit} - ${desc}`}...`), systemd(msg`${unit}: Deactivated successfully.`, rng.int(100, 4000)), systemd(msg`Finished ${`${unit} - ${desc}`}.`, 1)];
      if (rng.chance(0.7)) out.push(systemd(consumed(unit, cpuTime()), 1));
      if (unit === 'logrotate.service') out.splice(1, 0, log('rsyslogd', 678, msg`[origin software="${'rsyslogd'}" swVersion="${'8.2312.0'}" x-pid="${678}" x-info="${'https://www.rsyslog.com'}"] rsyslogd was HUPed`, 300));
      return out;
    };

    const cron = (): LogRecord[] => {
      const pid = (nextPid += rng.int(3, 90));
      const cmd = rng.pick(['command -v debian-sa1 > /dev/null && debian-sa1 1 1', 'command -v debian-sa1 > /dev/null && debian-sa1 1 1', '   cd / && run-parts --report /etc/cron.hourly', '/usr/local/bin/backup-volumes.sh >> /var/log/backup.log 2>&1', 'docker system prune -af --filter "until=72h" > /dev/null']);
      return [
        log('CRON', pid, msg`pam_unix(cron:session): session opened for user ${'root'}(uid=${0}) by ${'root'}(uid=${0})`),
        log('CRON', pid + 1, msg`(${'root'}) CMD (${cmd})`, 1),
        log('CRON', pid, msg`pam_unix(cron:session): session closed for user ${'root'}`, rng.int(200, 3000)),
      ];
    };

    let session = 118;
    const admins = ['ubuntu', 'deploy'];
    // In the second half a new admin account starts logging in and new packages bring their timers.
    const lateArrivals = (): LogRecord[] => {
      admins.push('alice');
      timerJobs.push(['certbot.service', 'Certbot'], ['fstrim.service', 'Discard unused blocks on filesystems from /etc/fstab'], ['e2scrub_all.service', 'Online ext4 Metadata Check for All Filesystems']);
      return [];
    };
    const userManagerUp = new Set<string>();
    const login = (): LogRecord[] => {
      const user = rng.pick(admins);
      const uid = 1000 + admins.indexOf(user);
      const ip = privateIp(rng, '10.20');
      const port = rng.int(40000, 65000);
      const sshPid = (nextPid += rng.int(3, 90));
      session += 1;
      const out = [
        log('sshd', sshPid, msg`Accepted publickey for ${user} from ${ip} port ${port} ssh2: ${'ED25519'} ${`SHA256:${rng.alnum(43)}`}`),
        log('sshd', sshPid, msg`pam_unix(sshd:session): session opened for user ${user}(uid=${uid}) by ${user}(uid=${0})`, 1),
        log('systemd-logind', 812, msg`New session ${session} of user ${user}.`, 1),
      ];
      if (!userManagerUp.has(user)) {
        userManagerUp.add(user);
        const umPid = sshPid + 4;
        out.push(
          systemd(msg`Created slice ${`user-${uid}.slice - User Slice of UID ${uid}`}.`, 1),
          systemd(msg`Starting ${`user-runtime-dir@${uid}.service - User Runtime Directory /run/user/${uid}`}...`, 1),
          systemd(msg`Finished ${`user-runtime-dir@${uid}.service - User Runtime Directory /run/user/${uid}`}.`, 20),
          systemd(msg`Starting ${`user@${uid}.service - User Manager for UID ${uid}`}...`, 1),
          log('(systemd)', umPid, msg`pam_unix(systemd-user:session): session opened for user ${user}(uid=${uid}) by ${user}(uid=${0})`, 10),
          log('systemd', umPid, k('Queued start job for default target default.target.'), 40),
          log('systemd', umPid, msg`Created slice ${'app.slice - User Application Slice'}.`, 1),
          log('systemd', umPid, msg`Reached target ${'paths.target - Paths'}.`, 1),
          log('systemd', umPid, msg`Reached target ${'timers.target - Timers'}.`, 1),
          log('systemd', umPid, msg`Listening on ${'dbus.socket - D-Bus User Message Bus Socket'}.`, 1),
          log('systemd', umPid, msg`Listening on ${'gpg-agent.socket - GnuPG cryptographic agent and passphrase cache'}.`, 1),
          log('systemd', umPid, msg`Reached target ${'sockets.target - Sockets'}.`, 1),
          log('systemd', umPid, msg`Reached target ${'basic.target - Basic System'}.`, 1),
          log('systemd', umPid, msg`Reached target ${'default.target - Main User Target'}.`, 1),
          log('systemd', umPid, msg`Startup finished in ${`${rng.int(60, 200)}ms`}.`, 1),
          systemd(msg`Started ${`user@${uid}.service - User Manager for UID ${uid}`}.`, 1),
        );
      }
      out.push(systemd(msg`Started ${`session-${session}.scope - Session ${session} of User ${user}`}.`, 5));
      for (let i = 0; i < rng.int(0, 2); i++) {
        const sudoPid = (nextPid += rng.int(3, 90));
        const command = rng.pick(['/usr/bin/docker ps', '/usr/bin/docker logs --tail 200 orders-api', '/usr/bin/systemctl restart app-worker', '/usr/bin/journalctl -u app-worker -n 100', '/usr/bin/apt update', '/usr/bin/docker compose -f /srv/app/compose.yaml up -d']);
        out.push(
          log('sudo', sudoPid, msg`${user} : TTY=${`pts/${rng.int(0, 3)}`} ; PWD=${`/home/${user}`} ; USER=${'root'} ; COMMAND=${command}`, rng.int(5000, 60000)),
          log('sudo', sudoPid, msg`pam_unix(sudo:session): session opened for user ${'root'}(uid=${0}) by ${user}(uid=${uid})`, 1),
          log('sudo', sudoPid, msg`pam_unix(sudo:session): session closed for user ${'root'}`, rng.int(100, 5000)),
        );
      }
      out.push(
        log('sshd', sshPid, msg`Received disconnect from ${ip} port ${port}:${11}: ${'disconnected by user'}`, rng.int(10000, 90000)),
        log('sshd', sshPid, msg`Disconnected from user ${user} ${ip} port ${port}`, 1),
        log('sshd', sshPid, msg`pam_unix(sshd:session): session closed for user ${user}`, 1),
        log('systemd-logind', 812, msg`Session ${session} logged out. Waiting for processes to exit.`, 1),
        systemd(msg`${`session-${session}.scope`}: Deactivated successfully.`, 1),
        systemd(consumed(`session-${session}.scope`, cpuTime()), 1),
        log('systemd-logind', 812, msg`Removed session ${session}.`, 1),
      );
      return out;
    };

    const sshNoise = (): LogRecord[] => {
      const ip = publicIp(rng);
      const port = rng.int(1024, 65000);
      const pid = (nextPid += rng.int(3, 90));
      return rng.pick([
        () => {
          const user = rng.pick(['admin', 'test', 'oracle', 'user', 'ubnt', 'postgres', 'git', 'ftpuser']);
          return [
            log('sshd', pid, msg`Invalid user ${user} from ${ip} port ${port}`),
            log('sshd', pid, msg`Received disconnect from ${ip} port ${port}:${11}: ${'Bye Bye'} [preauth]`, rng.int(100, 2000)),
            log('sshd', pid, msg`Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`, 1),
          ];
        },
        () => [log('sshd', pid, msg`Connection closed by authenticating user ${'root'} ${ip} port ${port} [preauth]`)],
        () => [log('sshd', pid, k('error: kex_exchange_identification: Connection closed by remote host')), log('sshd', pid, msg`Connection closed by ${ip} port ${port}`, 1)],
        () => [log('sshd', pid, msg`banner exchange: Connection from ${ip} port ${port}: invalid format`)],
        () => [log('sshd', pid, k('error: kex_exchange_identification: read: Connection reset by peer')), log('sshd', pid, msg`Connection reset by ${ip} port ${port}`, 1)],
      ])();
    };

    const ufw = (): LogRecord[] => {
      const tcp = rng.chance(0.8);
      const head = msg`[UFW BLOCK] IN=${'ens5'} OUT= MAC=${`0a:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:0a:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}:08:00`} SRC=${publicIp(rng)} DST=${'172.31.20.57'} LEN=${tcp ? rng.pick([40, 44, 60]) : rng.int(40, 120)} TOS=${rng.pick(['0x00', '0x08', '0x20'])} PREC=${'0x00'} TTL=${rng.int(30, 250)} ID=${rng.int(0, 65535)}`;
      if (!tcp) return [kernel(msg`${head} PROTO=UDP SPT=${rng.int(1024, 65000)} DPT=${rng.pick([53, 123, 161, 1900, 5060, 5353])} LEN=${rng.int(20, 100)}`)];
      const dpt = rng.pick([22, 23, 80, 443, 445, 2375, 3389, 5900, 6379, 8080, 8443, 9200]);
      return rng.chance(0.35)
        ? [kernel(msg`${head} DF PROTO=TCP SPT=${rng.int(1024, 65000)} DPT=${dpt} WINDOW=${rng.pick([1024, 29200, 64240, 65535])} RES=${'0x00'} SYN URGP=${0}`)]
        : [kernel(msg`${head} PROTO=TCP SPT=${rng.int(1024, 65000)} DPT=${dpt} WINDOW=${rng.pick([1024, 29200, 65535])} RES=${'0x00'} SYN URGP=${0}`)];
    };

    let portNo = 3;
    const containers = new Map<string, string>();
    const containerStart = (): LogRecord[] => {
      const id = rng.hex(64);
      const veth = `veth${rng.hex(7)}`;
      const peer = `veth${rng.hex(7)}`;
      const n = (portNo = (portNo % 9) + 1);
      containers.set(id, veth);
      const out = [
        kernel(msg`${'docker0'}: port ${n}(${veth}) entered ${'blocking'} state`),
        kernel(msg`${'docker0'}: port ${n}(${veth}) entered ${'disabled'} state`, 1),
        kernel(msg`${veth}: entered allmulticast mode`, 1),
        kernel(msg`${veth}: entered promiscuous mode`, 1),
        log('systemd-networkd', 501, msg`${veth}: Link UP`, 1),
      ];
      for (const plugin of ['io.containerd.event.v1.publisher', 'io.containerd.internal.v1.shutdown', 'io.containerd.ttrpc.v1.task', 'io.containerd.ttrpc.v1.pause']) {
        out.push(logrus('containerd', 'info', msg`msg="loading plugin \\"${plugin}\\"..." runtime=${'io.containerd.runc.v2'} type=${plugin.split('.').slice(0, 4).join('.')}`, 1));
      }
      out.push(
        systemd(msg`Started ${`docker-${id}.scope - libcontainer container ${id}`}.`, 20),
        kernel(msg`${'eth0'}: renamed from ${peer}`, 40),
        kernel(msg`${'docker0'}: port ${n}(${veth}) entered ${'blocking'} state`, 1),
        kernel(msg`${'docker0'}: port ${n}(${veth}) entered ${'forwarding'} state`, 1),
        log('systemd-networkd', 501, msg`${veth}: Gained carrier`, 1),
      );
      if (rng.chance(0.5)) out.push(log('systemd-networkd', 501, msg`${veth}: Gained IPv6LL`, rng.int(1000, 2000)));
      return out;
    };
    const containerStop = (force = false): LogRecord[] => {
      const entry = [...containers][0];
      if (!entry) return containerStart();
      const [id, veth] = entry;
      containers.delete(id);
      const out: LogRecord[] = [];
      if (force) out.push(logrus('dockerd', 'info', msg`msg="Container failed to exit within ${'10s'} of signal ${'15'} - using the force" container=${id}`));
      out.push(
        logrus('containerd', 'info', msg`msg="shim disconnected" id=${id} namespace=${'moby'}`, force ? 10_000 : undefined),
        logrus('containerd', 'warning', msg`msg="cleaning up after shim disconnected" id=${id} namespace=${'moby'}`, 1),
        logrus('containerd', 'info', msg`msg="cleaning up dead shim" namespace=${'moby'}`, 1),
        logrus('dockerd', 'info', msg`msg="ignoring event" container=${id} module=${'libcontainerd'} namespace=${'moby'} topic=${'/tasks/delete'} type="${'*events.TaskDelete'}"`, 1),
        kernel(msg`${'docker0'}: port ${rng.int(1, 9)}(${veth}) entered ${'disabled'} state`, 1),
        kernel(msg`${`veth${rng.hex(7)}`}: renamed from ${'eth0'}`, 1),
        log('systemd-networkd', 501, msg`${veth}: Lost carrier`, 1),
        kernel(msg`${`${veth} (unregistering)`}: left allmulticast mode`, 1),
        kernel(msg`${`${veth} (unregistering)`}: left promiscuous mode`, 1),
        systemd(msg`${`docker-${id}.scope`}: Deactivated successfully.`, 1),
        systemd(msg`${`var-lib-docker-overlay2-${rng.hex(64)}-merged.mount`}: Deactivated successfully.`, 1),
      );
      return out;
    };

    const workerFailure = (oom: boolean): LogRecord[] => {
      const unit = 'app-worker.service';
      const desc = 'Order worker';
      const out: LogRecord[] = [];
      const javaPid = (nextPid += 17);
      if (oom) {
        out.push(
          kernel(msg`${'java'} invoked oom-killer: gfp_mask=${'0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)'}, order=${0}, oom_score_adj=${0}`),
          kernel(msg`oom-kill:constraint=${'CONSTRAINT_NONE'},nodemask=${'(null)'},cpuset=${'/'},mems_allowed=${0},global_oom,task_memcg=${`/system.slice/${unit}`},task=${'java'},pid=${javaPid},uid=${998}`, 1),
          kernel(msg`Out of memory: Killed process ${javaPid} (${'java'}) total-vm:${`${rng.int(7_000_000, 9_000_000)}kB`}, anon-rss:${`${rng.int(3_000_000, 3_900_000)}kB`}, file-rss:${`${rng.int(100, 9000)}kB`}, shmem-rss:${'0kB'}, UID:${998} pgtables:${`${rng.int(7000, 9000)}kB`} oom_score_adj:${0}`, 1),
          systemd(msg`${unit}: A process of this unit has been killed by the OOM killer.`, 30),
          systemd(msg`${unit}: Main process exited, code=${'killed'}, status=${9}/${'KILL'}`, 5),
          systemd(msg`${unit}: Failed with result '${'oom-kill'}'.`, 1),
        );
      } else {
        out.push(systemd(msg`${unit}: Main process exited, code=${'exited'}, status=${1}/${'FAILURE'}`), systemd(msg`${unit}: Failed with result '${'exit-code'}'.`, 1));
      }
      out.push(
        systemd(consumed(unit, `${rng.int(1, 40)}min ${(rng.next() * 59).toFixed(3)}s`), 1),
        systemd(msg`${unit}: Scheduled restart job, restart counter is at ${rng.int(1, 3)}.`, 5000),
        systemd(msg`Stopped ${`${unit} - ${desc}`}.`, 1),
        systemd(msg`Started ${`${unit} - ${desc}`}.`, 1),
      );
      return out;
    };

    const dockerRestart = (): LogRecord[] => {
      const unit = 'docker.service';
      const desc = 'Docker Application Container Engine';
      const out = [
        systemd(msg`Stopping ${`${unit} - ${desc}`}...`),
        logrus('dockerd', 'info', msg`msg="Processing signal '${'terminated'}'"`, 1),
        ...containerStop(true),
        logrus('dockerd', 'info', msg`msg="stopping event stream following graceful shutdown" error="${'<nil>'}" module=${'libcontainerd'} namespace=${'moby'}`, 100),
        logrus('dockerd', 'info', msg`msg="Daemon shutdown complete"`, 1),
        systemd(msg`${unit}: Deactivated successfully.`, 1),
        systemd(msg`Stopped ${`${unit} - ${desc}`}.`, 1),
        systemd(consumed(unit, `${rng.int(10, 90)}min ${(rng.next() * 59).toFixed(3)}s`), 1),
        systemd(msg`Starting ${`${unit} - ${desc}`}...`, 1),
        logrus('dockerd', 'info', msg`msg="Starting up"`, 200),
        logrus('dockerd', 'info', msg`msg="[graphdriver] using prior storage driver: ${'overlay2'}"`, 30),
        logrus('dockerd', 'info', msg`msg="Loading containers: start."`, 10),
        logrus('dockerd', 'info', msg`msg="Default bridge (docker0) is assigned with an IP address ${'172.17.0.0/16'}. Daemon option --bip can be used to set a preferred IP address"`, 300),
        logrus('dockerd', 'info', msg`msg="Loading containers: done."`, 100),
        logrus('dockerd', 'info', msg`msg="Docker daemon" commit=${'8b79278'} containerd-snapshotter=${'false'} storage-driver=${'overlay2'} version=${'26.0.0'}`, 20),
        logrus('dockerd', 'info', msg`msg="Daemon has completed initialization"`, 1),
        logrus('dockerd', 'info', msg`msg="API listen on ${'/run/docker.sock'}"`, 1),
        systemd(msg`Started ${`${unit} - ${desc}`}.`, 1),
      ];
      return out;
    };

    const background = [
      { weight: 9, emit: timerJob },
      { weight: 7, emit: cron },
      { weight: 2.5, emit: login },
      { weight: 14, emit: sshNoise },
      { weight: 22, emit: ufw },
      { weight: 2.2, emit: containerStart },
      { weight: 2.2, emit: () => containerStop() },
      { weight: 2, emit: () => [systemd(msg`${`run-containerd-runc-moby-${rng.hex(64)}-runc.${rng.alnum(6)}.mount`}: Deactivated successfully.`)] },
      { weight: 1.5, emit: () => [log('systemd-timesyncd', 598, msg`Contacted time server ${`185.125.190.${rng.pick([56, 57, 58])}:123`} (${'ntp.ubuntu.com'}).`)] },
      { weight: 1.2, emit: () => { const dns = '172.31.0.2'; return [log('systemd-resolved', 641, msg`Using degraded feature set ${'UDP'} instead of ${'UDP+EDNS0'} for DNS server ${dns}.`), log('systemd-resolved', 641, msg`Grace period over, resuming full feature set (${'UDP+EDNS0'}) for DNS server ${dns}.`, rng.int(100_000, 400_000))]; } },
      { weight: 0.8, emit: () => [log('snapd', 702, msg`storehelpers.go:${769}: cannot refresh: snap has no updates available: ${rng.some(['"amazon-ssm-agent"', '"core22"', '"lxd"', '"snapd"'], 2, 4).join(', ')}`)] },
      { weight: 0.4, emit: () => [logrus('dockerd', 'error', msg`msg="Handler for ${'POST'} ${'/v1.45/containers/create'} returned error: ${`Conflict. The container name \\"/orders-api\\" is already in use by container \\"${rng.hex(64)}\\". You have to remove (or rename) that container to be able to reuse that name.`}"`)] },
      { weight: 0.3, emit: () => [kernel(msg`audit: type=${1400} audit(${`${Math.floor(clock.now() / 1000)}.${rng.int(100, 999)}:${rng.int(100, 999)}`}): apparmor="${'DENIED'}" operation="${'open'}" class="${'file'}" profile="${'docker-default'}" name="${rng.pick(['/proc/sys/kernel/shm_rmid_forced', '/sys/kernel/mm/transparent_hugepage/enabled'])}" pid=${rng.int(3000, 90000)} comm="${rng.pick(['java', 'node', 'postgres'])}" requested_mask="${'r'}" denied_mask="${'r'}" fsuid=${rng.pick([0, 999])} ouid=${0}`)] },
    ];

    return schedule(rng, 900, background, [
      { at: 0.29, emit: () => workerFailure(false) },
      { at: 0.51, emit: lateArrivals },
      { at: 0.64, emit: () => workerFailure(true) },
      { at: 0.73, emit: () => [log('systemd-journald', 312, msg`Data hash table of ${'/var/log/journal/ec2a6d1b8f5e4e0c9c1f0e7a3b2d4c5e/system.journal'} has a fill level at ${'75.0'} (${rng.int(170000, 175000)} of ${233016} items, ${'109051904'} file size, ${'468'} bytes per hash table item), suggesting rotation.`), log('systemd-journald', 312, msg`${'/var/log/journal/ec2a6d1b8f5e4e0c9c1f0e7a3b2d4c5e/system.journal'}: Journal header limits reached or header out-of-date, rotating.`, 1)] },
      { at: 0.81, emit: dockerRestart },
      { at: 0.9, emit: () => workerFailure(true) },
    ]);
  },
};

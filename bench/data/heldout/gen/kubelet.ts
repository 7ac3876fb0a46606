/**
 * kubelet 1.28 on an EKS worker node (journald → text), klog's structured form:
 * `Lmmdd hh:mm:ss.uuuuuu  threadid file:line] "message" key=value ...`. The header is
 * everything up to `] `; the message and its key=value run are the content. Every
 * value of a key=value pair is a parameter (strings quoted by klog, objects as JSON,
 * lists in brackets), as is a value formatted into the message text itself.
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { deploymentPod, pad, parts, uuid } from './values.js';

const NODE = 'ip-10-0-3-17.ec2.internal';

interface Pod {
  ns: string;
  name: string;
  uid: string;
  containers: string[];
  ip: string;
  port: number;
}

export const kubelet: SystemSpec = {
  name: 'Kubelet',
  columns: ['Level', 'Date', 'Time', 'Thread', 'Source'],
  render: (f, content) => `${f.Level}${f.Date} ${f.Time} ${f.Thread!.padStart(7)} ${f.Source}] ${content}`,
  generate(rng: Rng): LogRecord[] {
    const clock = createClock(rng, Date.UTC(2024, 2, 12, 9, 30, 0), 1800);
    let thread = 2318;
    const log = (level: 'I' | 'W' | 'E', source: string, m: Msg, gap?: number): LogRecord => {
      const p = parts(clock.tick(gap));
      return { fields: { Level: level, Date: `${pad(p.mo)}${pad(p.d)}`, Time: `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}.${pad(p.ms * 1000 + rng.int(0, 999), 6)}`, Thread: String(thread), Source: source }, msg: m };
    };

    const apps: Array<readonly [string, string, string[], number]> = [
      ['default', 'web', ['web'], 8080],
      ['default', 'api', ['api', 'istio-proxy'], 8080],
      ['payments', 'payments-api', ['app'], 9000],
      ['default', 'worker', ['worker'], 9102],
      ['monitoring', 'kube-state-metrics', ['kube-state-metrics'], 8080],
    ];
    const newPod = (): Pod => {
      const [ns, app, containers, port] = rng.pick(apps);
      return { ns, name: deploymentPod(rng, app), uid: uuid(rng), containers, ip: `10.244.${rng.int(1, 3)}.${rng.int(2, 250)}`, port };
    };
    const pods: Pod[] = Array.from({ length: 8 }, newPod);
    const ref = (p: Pod): string => `${p.ns}/${p.name}`;
    const containerId = (): string => rng.hex(64);
    const volumes = (p: Pod): Array<[string, string]> => {
      const token = `kube-api-access-${rng.alnum(5)}`;
      const out: Array<[string, string]> = [[token, `kubernetes.io/projected/${p.uid}-${token}`]];
      if (rng.chance(0.5)) out.push(['config', `kubernetes.io/configmap/${p.uid}-config`]);
      return out;
    };
    const plegEvent = (p: Pod, type: string): LogRecord =>
      log('I', 'kubelet.go:2441', msg`"SyncLoop (PLEG): event for pod" pod="${ref(p)}" event=${`{"ID":"${p.uid}","Type":"${type}","Data":"${containerId()}"}`}`);
    const syncLoopOp = (op: 'ADD' | 'UPDATE' | 'DELETE' | 'REMOVE' | 'RECONCILE', p: Pod): LogRecord =>
      log('I', op === 'RECONCILE' ? 'kubelet.go:2424' : 'kubelet.go:2408', msg`"SyncLoop ${k(op)}" source="${'api'}" pods=${`["${ref(p)}"]`}`);

    const podStart = (): LogRecord[] => {
      const p = newPod();
      pods.push(p);
      const vols = volumes(p);
      const out = [syncLoopOp('ADD', p), log('I', 'topology_manager.go:215', msg`"Topology Admit Handler" podUID="${p.uid}" podNamespace="${p.ns}" podName="${p.name}"`)];
      for (const [v, u] of vols) out.push(log('I', 'reconciler_common.go:258', msg`"operationExecutor.VerifyControllerAttachedVolume started for volume \\"${v}\\" (UniqueName: \\"${u}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${ref(p)}"`, 20));
      for (const [v, u] of vols) out.push(log('I', 'reconciler_common.go:231', msg`"operationExecutor.MountVolume started for volume \\"${v}\\" (UniqueName: \\"${u}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${ref(p)}"`, 20));
      for (const [v, u] of vols) out.push(log('I', 'operation_generator.go:721', msg`"MountVolume.SetUp succeeded for volume \\"${v}\\" (UniqueName: \\"${u}\\") pod \\"${p.name}\\" (UID: \\"${p.uid}\\") " pod="${ref(p)}"`, 300));
      out.push(plegEvent(p, 'ContainerStarted'));
      for (let i = 0; i < p.containers.length; i++) out.push(plegEvent(p, 'ContainerStarted'));
      out.push(log('I', 'kubelet.go:2484', msg`"SyncLoop (probe)" probe="${'readiness'}" status="${''}" pod="${ref(p)}"`));
      const created = clock.now() - rng.int(2000, 9000);
      const pulled = rng.chance(0.3);
      const pullStart = pulled ? `2024-03-12 ${new Date(created + 800).toISOString().slice(11, 23)}${rng.int(100000, 999999)} +0000 UTC` : '0001-01-01 00:00:00 +0000 UTC';
      const pullEnd = pulled ? `2024-03-12 ${new Date(created + 2900).toISOString().slice(11, 23)}${rng.int(100000, 999999)} +0000 UTC` : '0001-01-01 00:00:00 +0000 UTC';
      const running = (clock.now() - created) / 1000;
      out.push(
        log(
          'I',
          'pod_startup_latency_tracker.go:102',
          msg`"Observed pod startup duration" pod="${ref(p)}" podStartSLOduration=${(running - (pulled ? 2.1 : 0)).toFixed(9)} podStartE2EDuration="${running.toFixed(9)}s" podCreationTimestamp="${`2024-03-12 ${new Date(created).toISOString().slice(11, 19)} +0000 UTC`}" firstStartedPulling="${pullStart}" lastFinishedPulling="${pullEnd}" observedRunningTime="${`2024-03-12 ${new Date(clock.now() - 300).toISOString().slice(11, 23)}${rng.int(100000, 999999)} +0000 UTC`}" watchObservedRunningTime="${`2024-03-12 ${new Date(clock.now()).toISOString().slice(11, 23)}${rng.int(100000, 999999)} +0000 UTC`}"`,
        ),
      );
      out.push(log('I', 'kubelet.go:2484', msg`"SyncLoop (probe)" probe="${'readiness'}" status="${'ready'}" pod="${ref(p)}"`, rng.int(2000, 9000)));
      return out;
    };

    const podStop = (): LogRecord[] => {
      if (pods.length < 4) return podStart();
      const p = pods.splice(rng.int(0, pods.length - 1), 1)[0]!;
      const vols = volumes(p);
      const out = [syncLoopOp('DELETE', p)];
      for (const c of p.containers) out.push(log('I', 'kuberuntime_container.go:770', msg`"Killing container with a grace period" pod="${ref(p)}" podUID="${p.uid}" containerName="${c}" containerID="${`containerd://${containerId()}`}" gracePeriod=${30}`, 30));
      for (let i = 0; i <= p.containers.length; i++) out.push(plegEvent(p, 'ContainerDied'));
      for (const [v, u] of vols) out.push(log('I', 'reconciler_common.go:159', msg`"operationExecutor.UnmountVolume started for volume \\"${v}\\" (UniqueName: \\"${u}\\") pod \\"${p.uid}\\" (UID: \\"${p.uid}\\") "`, 40));
      for (const [v, u] of vols) {
        const plugin = u.startsWith('kubernetes.io/projected') ? 'kubernetes.io/projected' : 'kubernetes.io/configmap';
        out.push(log('I', 'operation_generator.go:887', msg`"UnmountVolume.TearDown succeeded for volume \\"${u}\\" (OuterVolumeSpecName: \\"${v}\\") pod \\"${p.uid}\\" (UID: \\"${p.uid}\\"). InnerVolumeSpecName \\"${v}\\". PluginName \\"${plugin}\\", VolumeGidValue \\"\\""`, 60));
      }
      for (const [v, u] of vols) out.push(log('I', 'reconciler_common.go:300', msg`"Volume detached for volume \\"${v}\\" (UniqueName: \\"${u}\\") on node \\"${NODE}\\" DevicePath \\"\\""`, 20));
      if (rng.chance(0.6)) {
        const id = containerId();
        out.push(log('E', 'remote_runtime.go:432', msg`"ContainerStatus from runtime service failed" err="${`rpc error: code = NotFound desc = an error occurred when try to find container \\"${id}\\": not found`}" containerID="${id}"`));
        out.push(log('I', 'pod_container_deletor.go:53', msg`"DeleteContainer returned error" containerID=${`{"Type":"containerd","ID":"${id}"}`} err="${`failed to get container status \\"${id}\\": rpc error: code = NotFound desc = an error occurred when try to find container \\"${id}\\": not found`}"`));
      }
      out.push(syncLoopOp('REMOVE', p));
      for (const c of p.containers) {
        out.push(log('I', 'cpu_manager.go:395', msg`"RemoveStaleState: removing container" podUID="${p.uid}" containerName="${c}"`, 2000));
        out.push(log('I', 'state_mem.go:107', msg`"Deleted CPUSet assignment" podUID="${p.uid}" containerName="${c}"`, 1));
        out.push(log('I', 'memory_manager.go:354', msg`"RemoveStaleState removing state" podUID="${p.uid}" containerName="${c}"`, 1));
      }
      out.push(log('I', 'kubelet_volumes.go:160', msg`"Cleaned up orphaned pod volumes dir" podUID="${p.uid}" path="${`/var/lib/kubelet/pods/${p.uid}/volumes`}"`, 1500));
      if (rng.chance(0.4)) out.push(log('E', 'cri_stats_provider.go:448', msg`"Unable to fetch pod log stats" err="${`open /var/log/pods/${p.ns}_${p.name}_${p.uid}: no such file or directory`}" pod="${ref(p)}"`));
      return out;
    };

    const probeFailed = (): LogRecord[] => {
      const p = rng.pick(pods);
      const kind = rng.pick(['Readiness', 'Readiness', 'Liveness']);
      const url = `http://${p.ip}:${p.port}/${rng.pick(['healthz', 'ready', 'actuator/health/readiness'])}`;
      const output = rng.pick([
        `Get \\"${url}\\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        `Get \\"${url}\\": dial tcp ${p.ip}:${p.port}: connect: connection refused`,
        `HTTP probe failed with statuscode: ${rng.pick([500, 503])}`,
      ]);
      const out = [log('I', 'prober.go:107', msg`"Probe failed" probeType="${kind}" pod="${ref(p)}" podUID="${p.uid}" containerName="${p.containers[0]!}" probeResult="${'failure'}" output="${output}"`)];
      if (rng.chance(0.3)) out.push(log('I', 'kubelet.go:2484', msg`"SyncLoop (probe)" probe="${kind.toLowerCase()}" status="${kind === 'Liveness' ? 'unhealthy' : ''}" pod="${ref(p)}"`, 10));
      return out;
    };

    const errSyncing = (p: Pod, err: string): LogRecord => log('E', 'pod_workers.go:1300', msg`"Error syncing pod, skipping" err="${err}" pod="${ref(p)}" podUID="${p.uid}"`);
    const crashLoop = (p: Pod): string => `failed to \\"StartContainer\\" for \\"${p.containers[0]!}\\" with CrashLoopBackOff: \\"back-off ${rng.pick(['10s', '20s', '40s', '1m20s', '2m40s', '5m0s'])} restarting failed container=${p.containers[0]!} pod=${p.name}_${p.ns}(${p.uid})\\"`;

    const systemStats = (): LogRecord[] => {
      const unit = '/system.slice/docker.service';
      return [log('E', 'summary_sys_containers.go:48', msg`"Failed to get system container stats" err="${`failed to get cgroup stats for \\"${unit}\\": failed to get container info for \\"${unit}\\": unknown container \\"${unit}\\"`}" containerName="${unit}"`)];
    };

    const diskPressure = (): LogRecord[] => {
      const out = [
        log('I', 'image_gc_manager.go:391', msg`"Disk usage on image filesystem is over the high threshold, trying to free bytes down to the low threshold" usage=${rng.int(86, 92)} highThreshold=${85} amountToFree=${rng.int(2_000_000_000, 9_000_000_000)} lowThreshold=${80}`),
      ];
      for (let i = 0; i < rng.int(2, 4); i++) out.push(log('I', 'image_gc_manager.go:454', msg`"Removing image to free bytes" imageID="${`sha256:${rng.hex(64)}`}" size=${rng.int(20_000_000, 900_000_000)} runtimeHandler="${''}"`, 200));
      out.push(log('W', 'eviction_manager.go:366', msg`"Eviction manager: attempting to reclaim" resourceName="${'ephemeral-storage'}"`));
      out.push(log('I', 'eviction_manager.go:377', msg`"Eviction manager: must evict pod(s) to reclaim" resourceName="${'ephemeral-storage'}"`, 10));
      const ranked = rng.some(pods, 3, 5);
      out.push(log('I', 'eviction_manager.go:395', msg`"Eviction manager: pods ranked for eviction" pods=${`[${ranked.map((p) => `"${ref(p)}"`).join(',')}]`}`, 5));
      const victim = ranked[0]!;
      out.push(...podStop().slice(0, 3));
      out.push(log('I', 'eviction_manager.go:614', msg`"Eviction manager: pod is evicted successfully" pod="${ref(victim)}"`));
      out.push(log('I', 'eviction_manager.go:205', msg`"Eviction manager: pods evicted, waiting for pod to be cleaned up" pods=${`["${ref(victim)}"]`}`, 5));
      out.push(log('I', 'eviction_manager.go:436', msg`"Eviction manager: pods successfully cleaned up" pods=${`["${ref(victim)}"]`}`, 9000));
      return out;
    };

    const badRollout = (): LogRecord[] => {
      const p: Pod = { ...newPod(), ns: 'payments', containers: ['app'] };
      pods.push(p);
      const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api:${rng.pick(['v2.31.0', 'v2.31.1'])}`;
      const out = [syncLoopOp('ADD', p), log('I', 'topology_manager.go:215', msg`"Topology Admit Handler" podUID="${p.uid}" podNamespace="${p.ns}" podName="${p.name}"`)];
      out.push(log('E', 'remote_image.go:180', msg`"PullImage from image service failed" err="${`rpc error: code = NotFound desc = failed to pull and unpack image \\"${image}\\": failed to resolve reference \\"${image}\\": ${image}: not found`}" image="${image}"`));
      out.push(errSyncing(p, `failed to \\"StartContainer\\" for \\"app\\" with ErrImagePull: \\"rpc error: code = NotFound desc = failed to pull and unpack image \\\\\\"${image}\\\\\\": not found\\"`));
      for (let i = 0; i < 3; i++) out.push(errSyncing(p, `failed to \\"StartContainer\\" for \\"app\\" with ImagePullBackOff: \\"Back-off pulling image \\\\\\"${image}\\\\\\"\\"`));
      return out;
    };

    // A new workload is deployed to the node in the second half.
    const newApp = (): LogRecord[] => {
      apps.push(['shop', 'checkout', ['checkout', 'istio-proxy'], 8443]);
      return [...podStart(), ...podStart()];
    };
    const crashingPod = pods.find((p) => p.ns === 'default') ?? pods[0]!;
    const crashLoopBurst = (): LogRecord[] => {
      const out = [plegEvent(crashingPod, 'ContainerDied')];
      out.push(errSyncing(crashingPod, crashLoop(crashingPod)));
      if (rng.chance(0.5)) out.push(errSyncing(crashingPod, crashLoop(crashingPod)));
      return out;
    };

    const plegUnhealthy = (): LogRecord[] => {
      const since = `3m${rng.int(0, 9)}.${rng.int(100, 999)}s`;
      const out = [
        log('E', 'kubelet.go:2349', msg`"Skipping pod synchronization" err="${`PLEG is not healthy: pleg was last seen active ${since} ago; threshold is 3m0s`}"`),
        log('I', 'kubelet_node_status.go:679', msg`"Recording event message for node" node="${NODE}" event="${'NodeNotReady'}"`),
        log('I', 'setters.go:568', msg`"Node became not ready" node="${NODE}" condition=${`{"type":"Ready","status":"False","lastHeartbeatTime":"2024-03-12T${new Date(clock.now()).toISOString().slice(11, 19)}Z","lastTransitionTime":"2024-03-12T${new Date(clock.now()).toISOString().slice(11, 19)}Z","reason":"KubeletNotReady","message":"PLEG is not healthy: pleg was last seen active ${since} ago; threshold is 3m0s"}`}`),
        log('E', 'kubelet.go:2349', msg`"Skipping pod synchronization" err="${`PLEG is not healthy: pleg was last seen active 3m${rng.int(5, 9)}.${rng.int(100, 999)}s ago; threshold is 3m0s`}"`, 5000),
        log('E', 'generic.go:453', msg`"PLEG: Ignoring events for pod" pod="${ref(rng.pick(pods))}" err="${'rpc error: code = DeadlineExceeded desc = context deadline exceeded'}"`),
        log('I', 'kubelet_node_status.go:679', msg`"Recording event message for node" node="${NODE}" event="${'NodeReady'}"`, 40_000),
      ];
      return out;
    };

    const restart = (): LogRecord[] => {
      thread = 1 + rng.int(2000, 2600);
      const out = [
        log('I', 'server.go:487', msg`"Kubelet version" kubeletVersion="${'v1.28.5-eks-5e0fdde'}"`, 15_000),
        log('I', 'server.go:489', msg`"Golang settings" GOGC="${''}" GOMAXPROCS="${''}" GOTRACEBACK="${''}"`, 1),
        log('I', 'server.go:895', msg`"Client rotation is on, will bootstrap in background"`, 20),
        log('I', 'kubelet.go:393', msg`"Attempting to sync node with API server"`, 400),
        log('I', 'kubelet.go:404', msg`"Adding apiserver pod source"`, 1),
        log('I', 'kuberuntime_manager.go:258', msg`"Container runtime initialized" containerRuntime="${'containerd'}" version="${'1.7.11'}" apiVersion="${'v1'}"`, 30),
        log('E', 'kubelet.go:1431', msg`"Image garbage collection failed once. Stats initialization may not have completed yet" err="${'invalid capacity 0 on image filesystem'}"`, 40),
        log('I', 'server.go:162', msg`"Starting to listen" address="${'0.0.0.0'}" port=${10250}`, 10),
        log('I', 'kubelet.go:2303', msg`"Starting kubelet main sync loop"`, 200),
        log('I', 'status_manager.go:217', msg`"Starting to sync pod status with apiserver"`, 1),
        log('I', 'kubelet_node_status.go:70', msg`"Attempting to register node" node="${NODE}"`, 300),
        log('I', 'kubelet_node_status.go:108', msg`"Node was previously registered" node="${NODE}"`, 30),
        log('I', 'kubelet_node_status.go:73', msg`"Successfully registered node" node="${NODE}"`, 2),
      ];
      for (const p of pods.slice(0, 5)) out.push(syncLoopOp('ADD', p));
      for (const p of pods.slice(0, 3)) out.push(log('I', 'kubelet.go:2484', msg`"SyncLoop (probe)" probe="${'readiness'}" status="${'ready'}" pod="${ref(p)}"`, 900));
      return out;
    };

    const background = [
      { weight: 5, emit: podStart },
      { weight: 5, emit: podStop },
      { weight: 14, emit: probeFailed },
      { weight: 8, emit: () => [log('E', 'dns.go:153', msg`"Nameserver limits exceeded" err="${'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.0.0.2 10.0.0.3 10.0.0.4'}"`)] },
      { weight: 5, emit: systemStats },
      { weight: 6, emit: () => [syncLoopOp('RECONCILE', rng.pick(pods))] },
      { weight: 4, emit: () => [syncLoopOp('UPDATE', rng.pick(pods))] },
      { weight: 2, emit: () => [log('I', 'kubelet.go:2484', msg`"SyncLoop (probe)" probe="${rng.pick(['readiness', 'liveness', 'startup'])}" status="${rng.pick(['ready', 'started', ''])}" pod="${ref(rng.pick(pods))}"`)] },
      { weight: 0.4, emit: () => [log('W', 'prober_manager.go:312', msg`"Failed to trigger a manual run" probe="${'Readiness'}"`)] },
      { weight: 0.3, emit: () => [log('W', 'predicate.go:154', msg`"Pod admission denied" podUID="${uuid(rng)}" pod="${`default/${deploymentPod(rng, 'worker')}`}" reason="${'OutOfcpu'}" message="${`Node didn't have enough resource: cpu, requested: ${rng.pick([500, 1000])}, used: ${rng.int(3400, 3900)}, capacity: 3920`}"`)] },
      { weight: 0.3, emit: () => { const p = rng.pick(pods); return [log('E', 'kubelet.go:1935', msg`"Unable to attach or mount volumes for pod; skipping pod" err="${`unmounted volumes=[data], unattached volumes=[data kube-api-access-${rng.alnum(5)}]: timed out waiting for the condition`}" pod="${ref(p)}"`)]; } },
    ];

    return schedule(rng, 900, background, [
      { at: 0.47, emit: crashLoopBurst },
      { at: 0.52, emit: newApp },
      { at: 0.5, emit: crashLoopBurst },
      { at: 0.53, emit: crashLoopBurst },
      { at: 0.57, emit: crashLoopBurst },
      { at: 0.63, emit: diskPressure },
      { at: 0.66, emit: crashLoopBurst },
      { at: 0.71, emit: badRollout },
      { at: 0.79, emit: plegUnhealthy },
      { at: 0.86, emit: restart },
      { at: 0.2, emit: crashLoopBurst },
    ]);
  },
};

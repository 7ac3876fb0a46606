/**
 * The embedded pattern store: everything in memory, snapshotted to
 * ANOMALOG_DATA_DIR periodically (when something changed) and at close, and
 * reloaded at start. A snapshot is patterns.json plus the raw float32 vectors it
 * names (patterns-<id>.vectors, ~3x smaller and faster than base64 in JSON). The
 * vectors are written first and the JSON is renamed into place last, so a crash
 * never leaves a snapshot that points at half a file. A service idle for
 * ANOMALOG_SERVICE_IDLE_TTL is dropped by forgetIdle, and so from the next snapshot.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { syncDirectory, writeFileSynced } from './durable-file.js';
import { levelRank } from '../log-entry.js';
import type { PatternRecord, ServiceState } from '../pattern.js';
import type { ClaimResult, PatternEvent, TemplateClaim } from '../pipeline/ports.js';
import type { PatternStore } from './pattern-store.js';

const SNAPSHOT_VERSION = 2;
const FILE = 'patterns.json';

/** `dims`: the length of its centroid in the vectors file, which holds the centroids then the embeddings, in order. */
type StoredPattern = Omit<PatternRecord, 'centroid'> & { dims: number };

interface Snapshot {
  version: number;
  /** The vectors file's name, in the same directory. */
  vectors: string;
  /** lastSeen (ms) is absent in snapshots written before idle services were forgotten. */
  services: Array<{ service: string; state: ServiceState; templates: Array<[string, string]>; lastSeen?: number }>;
  patterns: StoredPattern[];
  counts: Array<[string, number]>;
  embeddings: Array<[key: string, dims: number]>;
  extra: Record<string, unknown>;
}

/** Hands out consecutive slices of the vectors file. */
function vectorReader(bytes: Buffer, file: string): (dims: number) => Float32Array {
  // Copy once into an aligned buffer; the slices share it.
  const all = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(all.buffer).set(bytes);
  let at = 0;
  return (dims) => {
    if (at + dims > all.length) throw new Error(`${file}: shorter than its snapshot says`);
    const slice = all.subarray(at, at + dims);
    at += dims;
    return slice;
  };
}

interface ServiceData {
  state: ServiceState;
  templates: Map<string, string>;
  patterns: Set<string>;
  /** Last call about this service (ms), for forgetIdle. */
  lastSeen: number;
}

export interface MemoryPatternStoreDeps {
  dataDir: string;
  snapshotIntervalSeconds: number;
  logger: Logger;
  now?: () => number;
}

export interface MemoryPatternStore extends PatternStore {
  /** Writes the snapshot now. */
  snapshot(): Promise<void>;
}

async function readSnapshot(path: string, logger: Logger): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Snapshot;
  try {
    parsed = JSON.parse(text) as Snapshot;
  } catch (error) {
    // Refuse to start empty: that would forget every pattern and alert on all of them again.
    throw new Error(`${path}: unreadable pattern snapshot (${(error as Error).message}); fix or move it away`, { cause: error });
  }
  if (parsed.version !== SNAPSHOT_VERSION) {
    throw new Error(`${path}: snapshot version ${parsed.version}, expected ${SNAPSHOT_VERSION}`);
  }
  logger.info({ path, patterns: parsed.patterns.length }, 'pattern snapshot loaded');
  return parsed;
}

export async function createMemoryPatternStore(deps: MemoryPatternStoreDeps): Promise<MemoryPatternStore> {
  const path = join(deps.dataDir, FILE);
  const now = deps.now ?? Date.now;
  const services = new Map<string, ServiceData>();
  const patterns = new Map<string, PatternRecord>();
  const counts = new Map<string, number>();
  const embeddings = new Map<string, Float32Array>();
  /** Embedding key → last put or hit (ms): an embedding unused for the idle TTL is dropped too. */
  const embeddingUsed = new Map<string, number>();
  const providers = new Map<string, () => unknown>();
  const listeners: Array<(event: PatternEvent) => void> = [];
  let countsPrunedBefore = 0;
  /** Set by every change: an idle store is not rewritten. */
  let dirty = false;

  const loaded = await readSnapshot(path, deps.logger);
  const loadedExtra = loaded?.extra ?? {};
  let vectorsFile = loaded?.vectors;
  if (loaded) {
    const file = join(deps.dataDir, loaded.vectors);
    const next = vectorReader(await readFile(file), file);
    const at = now();
    for (const s of loaded.services) {
      services.set(s.service, { state: s.state, templates: new Map(s.templates), patterns: new Set(), lastSeen: s.lastSeen ?? at });
    }
    for (const { dims, ...p } of loaded.patterns) {
      patterns.set(p.id, { ...p, centroid: next(dims) });
      (services.get(p.service) ?? serviceData(p.service)).patterns.add(p.id);
    }
    for (const [key, n] of loaded.counts) counts.set(key, n);
    for (const [key, dims] of loaded.embeddings) {
      embeddings.set(key, next(dims));
      embeddingUsed.set(key, at);
    }
  }

  /** The service's data, created if new, marked as active now. */
  function serviceData(service: string): ServiceData {
    let data = services.get(service);
    if (!data) {
      data = { state: { firstSeen: null, learned: false }, templates: new Map(), patterns: new Set(), lastSeen: 0 };
      services.set(service, data);
    }
    data.lastSeen = now();
    return data;
  }

  function forgetIdle(before: number): string[] {
    const gone: string[] = [];
    const ids = new Set<string>();
    for (const [service, data] of services) {
      if (data.lastSeen >= before) continue;
      gone.push(service);
      services.delete(service);
      for (const id of data.patterns) {
        patterns.delete(id);
        ids.add(id);
      }
    }
    if (ids.size > 0) {
      for (const key of counts.keys()) if (ids.has(key.slice(0, key.lastIndexOf('|')))) counts.delete(key);
    }
    for (const [key, at] of embeddingUsed) {
      if (at >= before) continue;
      embeddingUsed.delete(key);
      embeddings.delete(key);
      dirty = true;
    }
    if (gone.length > 0) dirty = true;
    return gone;
  }

  function emit(event: PatternEvent): void {
    for (const listener of listeners) listener(event);
  }

  function claim(c: TemplateClaim): ClaimResult {
    const data = serviceData(c.service);
    const existing = data.templates.get(c.templateKey);
    if (existing !== undefined) return { id: existing, created: false };
    // A pattern that exists already (the service's overflow pattern): map the key to it.
    const present = c.pattern && patterns.get(c.pattern.id);
    if (present) {
      present.templates += 1;
      data.templates.set(c.templateKey, present.id);
      emit({ service: c.service, id: present.id, templateKey: c.templateKey, created: false });
      return { id: present.id, created: false };
    }
    if (c.pattern) {
      patterns.set(c.pattern.id, { ...c.pattern });
      data.patterns.add(c.pattern.id);
      data.templates.set(c.templateKey, c.pattern.id);
      emit({ service: c.service, id: c.pattern.id, templateKey: c.templateKey, created: true });
      return { id: c.pattern.id, created: true };
    }
    const target = c.joinId === undefined ? undefined : patterns.get(c.joinId);
    if (!target) throw new Error(`claim for ${c.templateKey} names neither a new pattern nor a known one`);
    if (c.centroid) target.centroid = c.centroid;
    target.templates += 1;
    data.templates.set(c.templateKey, target.id);
    emit({ service: c.service, id: target.id, templateKey: c.templateKey, created: false });
    return { id: target.id, created: false };
  }

  function pruneCounts(newestWindow: number, windowMs: number, retainWindows: number): void {
    const cutoff = newestWindow - retainWindows * windowMs;
    if (cutoff <= countsPrunedBefore) return;
    countsPrunedBefore = cutoff + windowMs;
    for (const key of counts.keys()) {
      if (Number(key.slice(key.lastIndexOf('|') + 1)) < cutoff) counts.delete(key);
    }
  }

  async function toSnapshot(vectors: string): Promise<{ snapshot: Snapshot; data: Float32Array }> {
    const extra: Record<string, unknown> = { ...loadedExtra };
    for (const [name, provide] of providers) extra[name] = await provide();
    const list = [...patterns.values()];
    const cached = [...embeddings];
    let size = 0;
    for (const p of list) size += p.centroid.length;
    for (const [, v] of cached) size += v.length;
    const data = new Float32Array(size);
    let at = 0;
    const put = (v: Float32Array): number => {
      data.set(v, at);
      at += v.length;
      return v.length;
    };
    const snapshot: Snapshot = {
      version: SNAPSHOT_VERSION,
      vectors,
      services: [...services].map(([service, d]) => ({ service, state: d.state, templates: [...d.templates], lastSeen: d.lastSeen })),
      patterns: list.map(({ centroid, ...p }) => ({ ...p, dims: put(centroid) })),
      counts: [...counts],
      embeddings: cached.map(([k, v]) => [k, put(v)]),
      extra,
    };
    return { snapshot, data };
  }

  /** The vectors file of the snapshot just replaced. */
  async function removeVectors(name: string): Promise<void> {
    try {
      await unlink(join(deps.dataDir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  let writing: Promise<void> = Promise.resolve();
  function snapshot(): Promise<void> {
    const run = async (): Promise<void> => {
      const started = Date.now();
      const vectors = `patterns-${randomUUID()}.vectors`;
      const { snapshot: snap, data } = await toSnapshot(vectors);
      const text = JSON.stringify(snap);
      await mkdir(deps.dataDir, { recursive: true, mode: 0o700 });
      await writeFileSynced(join(deps.dataDir, vectors), new Uint8Array(data.buffer));
      const tmp = `${path}.${randomUUID()}.tmp`;
      await writeFileSynced(tmp, text);
      // Both new names durable before the rename can point at them, the rename durable after.
      await syncDirectory(deps.dataDir);
      await rename(tmp, path);
      await syncDirectory(deps.dataDir);
      const replaced = vectorsFile;
      vectorsFile = vectors;
      if (replaced !== undefined) await removeVectors(replaced);
      deps.logger.debug({ path, bytes: text.length + data.byteLength, ms: Date.now() - started }, 'pattern snapshot written');
    };
    writing = writing.then(run, run);
    return writing;
  }

  const timer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    snapshot().catch((error: unknown) => {
      dirty = true;
      deps.logger.error({ err: error, path }, 'pattern snapshot failed');
    });
  }, deps.snapshotIntervalSeconds * 1000);
  timer.unref();

  return {
    snapshot,
    loadService: (service) => {
      const data = serviceData(service);
      const list = [...data.patterns].map((id) => patterns.get(id)!);
      return Promise.resolve({ state: { ...data.state }, patterns: list, templates: new Map(data.templates) });
    },
    startService: (service, firstSeen) => {
      dirty = true;
      const state = serviceData(service).state;
      if (state.firstSeen === null || firstSeen < state.firstSeen) state.firstSeen = firstSeen;
      return Promise.resolve({ ...state });
    },
    markLearned: (service) => {
      dirty = true;
      serviceData(service).state.learned = true;
      return Promise.resolve();
    },
    serviceStates: (names) =>
      Promise.resolve(
        names.map((name) => {
          const state = services.get(name)?.state;
          return state && { ...state };
        }),
      ),
    claimTemplates: (claims) => {
      dirty = true;
      return Promise.resolve(claims.map(claim));
    },
    record: (touches, windowSeconds, retainWindows) => {
      dirty = true;
      const windowMs = windowSeconds * 1000;
      let newest = 0;
      const totals = touches.map((t) => {
        serviceData(t.service);
        const p = patterns.get(t.id);
        if (p) {
          p.count += t.count;
          p.lastSeen = Math.max(p.lastSeen, t.lastSeen);
          if (levelRank(t.level) > levelRank(p.level)) p.level = t.level;
          if (t.template !== undefined) p.template = t.template;
          p.stats = t.stats;
        }
        const key = `${t.id}|${t.window}`;
        const total = (counts.get(key) ?? 0) + t.windowCount;
        if (total > 0) counts.set(key, total);
        newest = Math.max(newest, t.window);
        return { window: total, count: p?.count ?? 0 };
      });
      pruneCounts(newest, windowMs, retainWindows);
      return Promise.resolve(totals);
    },
    windowCounts: (queries) => Promise.resolve(queries.map((q) => q.windows.map((w) => counts.get(`${q.id}|${w}`) ?? 0))),
    getEmbeddings: (keys) => {
      const at = now();
      return Promise.resolve(
        keys.map((k) => {
          const v = embeddings.get(k);
          if (v) embeddingUsed.set(k, at);
          return v;
        }),
      );
    },
    putEmbeddings: (entries) => {
      dirty = true;
      const at = now();
      for (const [k, v] of entries) {
        embeddings.set(k, v);
        embeddingUsed.set(k, at);
      }
      return Promise.resolve();
    },
    onPatternEvent: (listener) => {
      listeners.push(listener);
    },
    list: (service) => {
      const ids = service === undefined ? [...patterns.keys()] : [...(services.get(service)?.patterns ?? [])];
      return Promise.resolve(ids.map((id) => ({ ...patterns.get(id)! })));
    },
    get: (id) => {
      const p = patterns.get(id);
      return Promise.resolve(p ? { ...p } : undefined);
    },
    mute: (id, untilMs) => setMuted(id, true, untilMs),
    unmute: (id) => setMuted(id, false, null),
    attachState: (name, provide) => {
      providers.set(name, provide);
      return loadedExtra[name];
    },
    forgetIdle: (before) => Promise.resolve(forgetIdle(before)),
    close: async () => {
      clearInterval(timer);
      await snapshot();
    },
  };

  function setMuted(id: string, muted: boolean, until: number | null): Promise<boolean> {
    const p = patterns.get(id);
    if (!p) return Promise.resolve(false);
    dirty = true;
    p.muted = muted;
    p.mutedUntil = until;
    emit({ service: p.service, id, templateKey: '', created: false });
    return Promise.resolve(true);
  }
}

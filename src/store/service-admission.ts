/**
 * The service cap (ANOMALOG_MAX_SERVICES): which services' records are taken at
 * all. A known service is always admitted (and its last-seen time refreshed); a
 * new one only while fewer than the cap hold a slot. A service not admitted for
 * ANOMALOG_SERVICE_IDLE_TTL gives its slot back. The receiver asks once per
 * export, so the refusal reaches the exporter in partial_success.
 *
 * Two implementations of one port: the memory one here (embedded default) and
 * redis-service-admission.ts (receivers and workers sharing Redis).
 */
import type { Config } from '../config.js';

export type AdmissionLimits = Pick<Config['limits'], 'maxServices' | 'serviceIdleTtlMs'>;

export interface AdmissionResult {
  /** The services given that are over the cap, in the order given; the others are admitted. */
  refused: string[];
  /** Services holding a slot now (as of this answer). */
  known: number;
}

export interface ServiceAdmission {
  readonly maxServices: number;
  /** Admits the distinct services of one export. Rejects when the shared store is unreachable. */
  admit(services: string[]): Promise<AdmissionResult>;
  /** Frees the slots of services not admitted since `before` (ms); resolves with how many. */
  forgetIdle(before: number): Promise<number>;
}

/**
 * `attachState` (the memory pattern store's) keeps the slots in its snapshots,
 * so a restart neither forgets nor re-admits past the cap the services it holds.
 */
export function createMemoryServiceAdmission(deps: {
  limits: AdmissionLimits;
  now?: () => number;
  attachState?: (name: string, provide: () => unknown) => unknown;
}): ServiceAdmission {
  const { maxServices, serviceIdleTtlMs } = deps.limits;
  const now = deps.now ?? Date.now;
  /** Service → last admitted, oldest first (re-inserted on every admission), so a sweep stops at the first live one. */
  const seen = new Map<string, number>();
  const saved = deps.attachState?.('admission', () => [...seen]);
  if (Array.isArray(saved)) {
    const valid = (saved as unknown[]).filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number');
    for (const [service, at] of valid.sort((a, b) => a[1] - b[1])) seen.set(service, at);
  }

  function forget(before: number): number {
    let forgotten = 0;
    for (const [service, at] of seen) {
      if (at >= before) break;
      seen.delete(service);
      forgotten++;
    }
    return forgotten;
  }

  return {
    maxServices,
    admit: async (services) => {
      const at = now();
      const refused: string[] = [];
      for (const service of services) {
        const known = seen.delete(service);
        // At the cap, an idle service's slot is freed now rather than at the next sweep.
        if (!known && seen.size >= maxServices) forget(at - serviceIdleTtlMs);
        if (known || seen.size < maxServices) seen.set(service, at);
        else refused.push(service);
      }
      return { refused, known: seen.size };
    },
    forgetIdle: async (before) => forget(before),
  };
}

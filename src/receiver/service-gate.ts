/**
 * The receiver's side of ANOMALOG_MAX_SERVICES: asks the admission port once per
 * export, drops the records of refused services, and says so in the words of
 * partial_success, a gauge and a warning logged at most once a minute.
 */
import type { Registry } from 'prom-client';
import prom from 'prom-client';
import type { Logger } from '../logger.js';
import type { ResourceShare } from '../otlp/accepted-export.js';
import type { ServiceAdmission } from '../store/service-admission.js';
import { cutText } from '../text/safe-text.js';

const LOG_INTERVAL_MS = 60_000;

export interface GateResult {
  /** The shares as given, with those of refused services set to no records. */
  resources: ResourceShare[];
  /** Records refused for the service limit. */
  refused: number;
  /** For partial_success when something was refused. */
  errorMessage?: string;
}

export interface ServiceGate {
  /** Rejects when the admission store is unreachable (the export should be retried). */
  admit(resources: ResourceShare[]): Promise<GateResult>;
}

/** The partial_success message: names the setting, so the operator knows what to raise. */
function serviceLimitMessage(records: number, services: string[], maxServices: number): string {
  return (
    `${records} log record(s) of ${services.length} new service(s) rejected: ` +
    `service limit ANOMALOG_MAX_SERVICES=${maxServices} reached (a service idle for ANOMALOG_SERVICE_IDLE_TTL frees its slot); ` +
    `first: ${JSON.stringify(cutText(services[0] ?? '', 100))}`
  );
}

export function createServiceGate(deps: { admission: ServiceAdmission; logger: Logger; registry: Registry; now?: () => number }): ServiceGate {
  const { admission, logger } = deps;
  const now = deps.now ?? Date.now;
  const admitted = new prom.Gauge({
    name: 'anomalog_admitted_services',
    help: 'Services holding a slot under ANOMALOG_MAX_SERVICES, as of the last admission answer',
    registers: [deps.registry],
  });
  let loggedAt = -Infinity;
  let sinceLog = { records: 0, services: 0, first: '' };

  function note(records: number, services: string[]): void {
    sinceLog.records += records;
    sinceLog.services += services.length;
    sinceLog.first ||= services[0] ?? '';
    if (now() - loggedAt < LOG_INTERVAL_MS) return;
    loggedAt = now();
    logger.warn(
      { limit: admission.maxServices, refusedRecords: sinceLog.records, refusedServices: sinceLog.services, first: cutText(sinceLog.first, 100) },
      `service limit ANOMALOG_MAX_SERVICES=${admission.maxServices} reached: records of new services refused (logged at most once a minute)`,
    );
    sinceLog = { records: 0, services: 0, first: '' };
  }

  return {
    async admit(resources) {
      const services = new Set<string>();
      for (const r of resources) if (r.records > 0) services.add(r.service);
      const { refused, known } = await admission.admit([...services]);
      admitted.set(known);
      if (refused.length === 0) return { resources, refused: 0 };
      const out = new Set(refused);
      let records = 0;
      const kept = resources.map((r) => {
        if (!out.has(r.service)) return r;
        records += r.records;
        return { service: r.service, records: 0 };
      });
      note(records, refused);
      return { resources: kept, refused: records, errorMessage: serviceLimitMessage(records, refused, admission.maxServices) };
    },
  };
}

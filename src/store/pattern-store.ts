/**
 * The pattern store: the pipeline's pattern library (pipeline/ports.ts) plus
 * what operators and views ask of it — listing, muting, closing.
 */
import type { PatternRecord, ServiceState } from '../pattern.js';
import type { PatternLibrary } from '../pipeline/ports.js';

export interface PatternStore extends PatternLibrary {
  /** Read only (an idle service stays idle): each service's state, undefined for one not known (or forgotten). */
  serviceStates(services: string[]): Promise<Array<ServiceState | undefined>>;
  list(service?: string): Promise<PatternRecord[]>;
  /** untilMs null mutes until unmuted. False when there is no such pattern. */
  mute(id: string, untilMs: number | null): Promise<boolean>;
  unmute(id: string): Promise<boolean>;
  close(): Promise<void>;
}

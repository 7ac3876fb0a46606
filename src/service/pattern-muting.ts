/**
 * Muting a pattern: the pattern library first (detection reads it, and with
 * Redis every replica hears of it), then its Postgres mirror (the views read it).
 */
import type { PatternRepo } from '../store/pattern-repo.js';
import type { PatternStore } from '../store/pattern-store.js';
import type { AdminBackend } from './admin-api.js';

export function createPatternMuting(deps: { store: Pick<PatternStore, 'mute' | 'unmute'>; repo: Pick<PatternRepo, 'setMuted'> }): Pick<AdminBackend, 'mute' | 'unmute'> {
  return {
    async mute(id, untilMs) {
      const found = await deps.store.mute(id, untilMs);
      if (found) await deps.repo.setMuted(id, untilMs, true);
      return found;
    },
    async unmute(id) {
      const found = await deps.store.unmute(id);
      if (found) await deps.repo.setMuted(id, null, false);
      return found;
    },
  };
}

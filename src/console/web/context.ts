/** What every view is given, and what it gives back. */
import type { Api } from './api.js';
import type { ConsoleSettings } from '../api-types.js';

export interface Context {
  api: Api;
  settings: ConsoleSettings;
  /** The view's container. */
  main: HTMLElement;
  /** Says something in the status line (a polite live region). */
  announce(text: string): void;
  /** Says that something failed, in the status line. */
  fail(what: string, error: unknown): void;
}

export interface View {
  /** Stops its timers; the next view takes the container. */
  dispose(): void;
}

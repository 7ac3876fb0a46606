/** The port every alert delivery channel (Slack, …) implements. */
import type { AlertMessage } from '../alert.js';

/** Expected outcomes of one delivery attempt; only the outbox decides what to do next. */
export type DeliveryResult =
  | { kind: 'success' }
  | { kind: 'retryable'; error: string; retryAfterMs?: number }
  | { kind: 'failure'; error: string };

export interface AlertChannel {
  readonly name: string;
  /** Whether this alert is for this channel at all (e.g. below its minimum severity). */
  accepts(alert: AlertMessage): boolean;
  deliver(alert: AlertMessage): Promise<DeliveryResult>;
}

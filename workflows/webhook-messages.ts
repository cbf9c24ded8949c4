import { defineSignal } from '@temporalio/workflow';

/** A webhook's workflow: one per subscription (CONTRACT.md, "Change feed and webhooks"). */
export const webhookWorkflowId = (webhookId: string) => `webhook-${webhookId}`;

/** Look again now: the webhook was resumed, turned off, changed or removed. */
export const webhookWakeSignal = defineSignal('wake');

export interface WebhookInput {
  webhookId: string;
  /** When the current run of failures began (workflow time, ms), carried across runs. */
  failingSince?: number | null;
  /** The failures in a row so far (the back-off's step), carried across runs. */
  failures?: number;
  /** Tests: the long-poll's length (default 20 s). */
  waitMs?: number;
  /** Tests: the first back-off step (default 10 s). */
  retryBaseMs?: number;
}

export interface DeliverInput {
  webhookId: string;
  /** How long to wait for a change to send before answering `idle`. */
  waitMs: number;
}

export type DeliverOutcome =
  | { outcome: 'delivered'; items: number }
  | { outcome: 'failed'; items: number; error: string }
  | { outcome: 'idle' }
  | { outcome: 'paused' }
  | { outcome: 'gone' };

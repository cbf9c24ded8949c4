import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CreateCommand, DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import type { HistoryEntry } from '../domain/schemas';

export const TASK_QUEUE_DEFAULT = 'dossiers';

/** The workflow id of a dossier: the one place that builds it. */
export function dossierWorkflowId(dossierId: string): string {
  return `dossier-${dossierId}`;
}

export interface DossierWorkflowInput {
  /** A new dossier. */
  create?: CreateCommand;
  /** A dossier carried over by continue-as-new. */
  carried?: { agg: DossierAggregate; projectedVersion: number };
}

export type EventOutcome = 'applied' | 'duplicate' | 'confirmation';

/** What an accepted event answers: its outcome and the dossier after it. */
export interface EventResult {
  outcome: EventOutcome;
  state: DossierState;
  /** The hash of the event that produced this result (a resent Update id gets the first result). */
  bodyHash: string;
}

export const eventUpdate = defineUpdate<EventResult, [EventCommand]>('event');
export const stateQuery = defineQuery<DossierState>('state');
export const historyQuery = defineQuery<HistoryEntry[]>('history');
export const creationQuery = defineQuery<{ eventId: string; bodyHash: string }>('creation');

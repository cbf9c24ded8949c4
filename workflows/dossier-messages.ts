import type { ContractLine } from '../domain/best-job';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CreateCommand, DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import type { EventResultOf, RecordOf } from '../domain/aggregate';
import type { DossierState } from '../domain/dossier-state';
import type { EventType } from '../domain/schemas';
import type { BatchOutcome } from './record-entity';

/** The workflow id of a dossier: the one place that builds it. */
export function dossierWorkflowId(dossierId: string): string {
  return `dossier-${dossierId}`;
}

/**
 * What one run of a dossier hands to the next by continue-as-new. Versioned: a new field makes a
 * new version, upgraded once where the run starts (`DossierEntity.start`), never an optional
 * field read with a default wherever it is used.
 */
export interface CarriedV1 {
  v: 1;
  agg: DossierAggregate;
  /** The version of the state the record (read model) holds. */
  projectedVersion: number;
  /** Month loads signalled and not looked up since (workflows/month-loads.ts). */
  signalledLoads: Record<string, number>;
  /** The API's vouch key (domain/vouch.ts), null for a dossier started without one. */
  vouchKey: string | null;
}
export type Carried = CarriedV1;

export interface DossierWorkflowInput {
  /** A new dossier. */
  create?: CreateCommand;
  /** A dossier carried over by continue-as-new. */
  carried?: Carried;
  /** Continue as new after this many Updates in a run (default 1000; Temporal's cap is 2000). */
  maxUpdatesPerRun?: number;
  /** The caller projects the created state to the read model (db/projection-intents.ts). */
  callerProjects?: boolean;
  /**
   * The key the API vouches for its messages with (hex, domain/vouch.ts): an Update without its
   * vouch is refused. Encrypted in the history with the rest of the input; the codec endpoint
   * never shows it.
   */
  vouchKey?: string;
}

/**
 * A partner event as the API sends it. `callerProjects`: the API projects the state this Update
 * answers (db/projection-intents.ts), so the workflow does not; absent (an API that cannot reach
 * the database, or an older one), the workflow projects as before.
 */
export interface EventMessage extends EventCommand {
  callerProjects?: boolean;
  /**
   * DSN months the caller found not loaded after registering the dossier as using them: the
   * points on them are recorded as waiting without a look-up of the workflow's own.
   */
  dsnNotLoaded?: string[];
  /** The API's vouch for this message (domain/vouch.ts). */
  vouch?: string;
}

export type EventOutcome = EventResult['outcome'];

/** What an accepted event answers: its outcome and the dossier after it. */
export type EventResult = EventResultOf<DossierState, EventType>;

/** The dossier and the accepted events not known to be in the ledger yet. */
export type DossierRecord = RecordOf<DossierState, EventType>;

export const eventUpdate = defineUpdate<EventResult, [EventMessage]>('event');
/**
 * Several events of the dossier in one Update, in order: a partner file's consecutive lines
 * (api/event-batches.ts). Each is decided as `event` decides it, on the state the ones before it
 * left, and answers its result or its refusal; a refusal changes nothing.
 */
export const eventsUpdate = defineUpdate<BatchOutcome<EventResult>[], [{ messages: EventMessage[] }]>(
  'events',
);
export const stateQuery = defineQuery<DossierState>('state');
/** For the history's latest entries and the sweeper: the state and what the ledger may lack. */
export const recordQuery = defineQuery<DossierRecord>('record');
/** The creation's identity and the current state, to answer a resent creation in one round trip. */
export const creationQuery = defineQuery<{ eventId: string; bodyHash: string; state: DossierState }>(
  'creation',
);

/**
 * A DSN month was loaded (or loaded again: its version): the points that wait on it or used it look
 * again. `lines`: the person's lines of that month, read by the month's wake-up in one pass over it
 * (absent: the record looks the month up itself). `ahead`: the wake-up wrote the situations they
 * give in the record already, from version `base`, on `today` at `at`, showing `seen`
 * (activities/month-wake.ts).
 */
export interface MonthLoadSignal {
  mois: string;
  version: number;
  lines?: ContractLine[];
  ahead?: { base: number; today: string; at: string; seen: string };
}
export const dsnMonthLoadedSignal = defineSignal<[MonthLoadSignal]>('dsnMonthLoaded');

/** The workflow id of the wake-up run of one load of a month. */
export function dsnMonthWorkflowId(mois: string, version: number): string {
  return `dsn-month-${mois}-v${version}`;
}

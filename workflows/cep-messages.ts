import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CepAggregate, CepCommand, OpenPeriodCommand } from '../domain/cep-aggregate';
import type { EventResultOf, RecordOf } from '../domain/aggregate';
import type { CepEventType } from '../domain/cep-schemas';
import type { CepState } from '../domain/cep-state';

/** The workflow id of a CEP period: the one place that builds it. */
export function cepWorkflowId(periodeId: string): string {
  return `cep-${periodeId}`;
}

/**
 * What one run of a period hands to the next by continue-as-new. Versioned: a new field makes a
 * new version, upgraded once where the run starts (`CepEntity.start`).
 */
export interface CepCarriedV1 {
  v: 1;
  agg: CepAggregate;
  /** The version of the state the record (PostgreSQL) holds. */
  projectedVersion: number;
  /** The API's vouch key (domain/vouch.ts), null for a period started without one. */
  vouchKey: string | null;
  /** The DSN month loads signalled and not looked up since (workflows/month-loads.ts). */
  signalledLoads: Record<string, number>;
}
export type CepCarried = CepCarriedV1;

export interface CepWorkflowInput {
  /** A new period. */
  open?: OpenPeriodCommand;
  /** A period carried over by continue-as-new. */
  carried?: CepCarried;
  /** The key the API vouches for its messages with (hex, domain/vouch.ts). */
  vouchKey?: string;
  /** Continue as new after this many Updates in a run (default 1000). */
  maxUpdatesPerRun?: number;
}

/** A partner event on a period as the API sends it, with the API's vouch. */
export interface CepEventMessage extends CepCommand {
  vouch?: string;
}

/** What an accepted event answers: its outcome, the period after it, and its entry for the ledger. */
export type CepEventResult = EventResultOf<CepState, CepEventType>;

/** The period and the accepted events not known to be in the ledger yet. */
export type CepRecord = RecordOf<CepState, CepEventType>;

export const cepEventUpdate = defineUpdate<CepEventResult, [CepEventMessage]>('cepEvent');
export const cepStateQuery = defineQuery<CepState>('cepState');
export const cepRecordQuery = defineQuery<CepRecord>('cepRecord');
/**
 * A dossier of the person was entered (or its entry date corrected): the period reads the person's
 * entries again. It carries nothing: the workflow reads them from the records itself.
 */
export const cepFormationSignal = defineSignal('cepFormation');

/** What a CEP period's follow-up reads: its points' DSN months, and the person's training entries. */
export interface CepFollowUpLookup {
  periodeId: string;
  nir: string;
  operateurSiret: string;
  months: string[];
}

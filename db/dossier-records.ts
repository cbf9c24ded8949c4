import type { MikroORM } from '@mikro-orm/postgresql';
import type { DossierState } from '../domain/dossier-state';
import { stateOfRecord } from '../domain/dossier-view';
import type { HistoryEntry } from '../domain/schemas';
import { readLedger, readRecord } from './dossier-read-model';

/**
 * The platform's record of each dossier in PostgreSQL: what answers once a dossier's workflow is
 * gone (Temporal keeps a finished workflow only for its namespace's retention).
 */
export interface RecordStore {
  /** The dossier's last projected state, its NIR opened from its seal; null: no such dossier. */
  state(dossierId: string): Promise<DossierState | null>;
  /** A page of the dossier's ledger: the entries after `afterSeq`, oldest first. */
  ledger(dossierId: string, afterSeq: number, limit: number): Promise<HistoryEntry[]>;
}

export function createRecordStore(orm: MikroORM, open: (sealed: Buffer) => string): RecordStore {
  return {
    async state(dossierId) {
      const row = await readRecord(orm.em.fork(), dossierId);
      return row ? stateOfRecord(row.record, open(row.nirSealed)) : null;
    },
    ledger: (dossierId, afterSeq, limit) => readLedger(orm.em.fork(), dossierId, afterSeq, limit),
  };
}

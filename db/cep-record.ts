import type { EntityManager } from '@mikro-orm/postgresql';
import type { CepLedgerEntry } from '../domain/cep-aggregate';
import type { CepState } from '../domain/cep-state';

/** A period as its record keeps it: everything but the NIR, which is kept apart, sealed. */
export type CepRecordData = Omit<CepState, 'beneficiaire'> & {
  beneficiaire: Omit<CepState['beneficiaire'], 'nir'>;
};

export function toCepRecord(state: CepState): CepRecordData {
  const { nir: _nir, ...beneficiaire } = state.beneficiaire;
  return { ...state, beneficiaire };
}

/**
 * Write a period's record in one statement: the ledger entries not there yet (keyed by period and
 * seq, so written once whoever writes them), and its row unless the stored one is already as new.
 */
export async function upsertCepRecord(
  em: EntityManager,
  record: { state: CepState; entries: CepLedgerEntry[] },
  keys: { hashNir: (nir: string) => Buffer; seal: (text: string) => Buffer },
): Promise<void> {
  const { state, entries } = record;
  const rows = entries.map(({ bodyHash, ...entry }) => ({
    seq: entry.seq,
    event_id: entry.eventId,
    body_hash: bodyHash,
    entry,
  }));
  await em.getConnection().execute(
    `with ledger as (
       insert into cep_events (periode_id, seq, event_id, body_hash, entry)
       select ?, e.seq, e.event_id, e.body_hash, e.entry
         from jsonb_to_recordset(?::jsonb) as e(seq integer, event_id varchar, body_hash varchar, entry jsonb)
       on conflict do nothing
     )
     insert into cep_periodes (periode_id, version, statut, operateur_siret, region, created_at, updated_at,
       data, nir_hash, nir_sealed, closed_on)
     values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::date)
     on conflict (periode_id) do update set
       version = excluded.version, statut = excluded.statut, region = excluded.region,
       updated_at = excluded.updated_at, data = excluded.data, nir_hash = excluded.nir_hash,
       nir_sealed = excluded.nir_sealed, closed_on = excluded.closed_on
     where cep_periodes.version < excluded.version`,
    [
      state.periodeId,
      JSON.stringify(rows),
      state.periodeId,
      state.version,
      state.statut,
      state.operateurSiret,
      state.region,
      state.createdAt,
      state.updatedAt,
      JSON.stringify(toCepRecord(state)),
      keys.hashNir(state.beneficiaire.nir),
      keys.seal(state.beneficiaire.nir),
      state.dates.cloture,
    ],
  );
}

/** A period's record and its ledger, oldest first (null: never written). */
export async function readCepRecord(
  em: EntityManager,
  periodeId: string,
): Promise<{ data: CepRecordData; entries: Omit<CepLedgerEntry, 'bodyHash'>[] } | null> {
  const conn = em.getConnection();
  const [row] = await conn.execute<{ data: CepRecordData }[]>(
    'select data from cep_periodes where periode_id = ?',
    [periodeId],
  );
  if (!row) return null;
  const entries = await conn.execute<{ entry: Omit<CepLedgerEntry, 'bodyHash'> }[]>(
    'select entry from cep_events where periode_id = ? order by seq',
    [periodeId],
  );
  return { data: row.data, entries: entries.map((e) => e.entry) };
}

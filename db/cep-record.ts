import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerKnowledge } from '../domain/aggregate';
import type { CepLedgerEntry } from '../domain/cep-aggregate';
import type { FormationEntry } from '../domain/cep-follow-up';
import { MAX_ENTRIES, operatorSeesDossier } from '../domain/cep-follow-up';
import type { CepState } from '../domain/cep-state';
import { maskNir } from '../domain/nir';

/** A period as its record keeps it: everything but the NIR, kept apart, sealed (its masked form stays). */
export type CepRecordData = Omit<CepState, 'beneficiaire'> & {
  beneficiaire: Omit<CepState['beneficiaire'], 'nir'> & { nirMasque: string };
};

export function toCepRecord(state: CepState): CepRecordData {
  const { nir, ...beneficiaire } = state.beneficiaire;
  return { ...state, beneficiaire: { ...beneficiaire, nirMasque: maskNir(nir) } };
}

/** The state a record holds, its NIR opened from its seal. */
export function stateOfCepRecord(data: CepRecordData, nir: string): CepState {
  const { nirMasque: _masked, ...beneficiaire } = data.beneficiaire;
  return { ...data, beneficiaire: { nir, ...beneficiaire } };
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
    `with prev as (select statut, version from cep_periodes where periode_id = ?),
     ledger as (
       insert into cep_events (periode_id, seq, event_id, body_hash, entry)
       select ?, e.seq, e.event_id, e.body_hash, e.entry
         from jsonb_to_recordset(?::jsonb) as e(seq integer, event_id varchar, body_hash varchar, entry jsonb)
       on conflict do nothing
       returning seq, entry
     ),
     upserted as (
       insert into cep_periodes (periode_id, version, statut, operateur_siret, region, created_at, updated_at,
         data, nir_hash, nir_sealed, closed_on)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::date)
       on conflict (periode_id) do update set
         version = excluded.version, statut = excluded.statut, region = excluded.region,
         updated_at = excluded.updated_at, data = excluded.data, nir_hash = excluded.nir_hash,
         nir_sealed = excluded.nir_sealed, closed_on = excluded.closed_on
       where cep_periodes.version < excluded.version
       returning 1
     ),
     -- Each new version that no new entry holds: the platform's own change, so that the feed skips
     -- no version. When the status changed with no closing entry, the first is the closure for
     -- silence (dated as the period's closure: the points of the follow-up come after it); the
     -- others are points, dated when recorded.
     platform as (
       select g.v, g.v = min(g.v) over () and p.statut is distinct from ?
                   and not exists (select 1 from ledger l where l.entry->>'type' = 'CLOTURE') as closure
         from prev p cross join generate_series(p.version + 1, ?::integer) as g(v)
        where exists (select 1 from upserted)
          and g.v not in (select coalesce((l.entry->>'version')::integer, ?::integer) from ledger l
                           where not coalesce((l.entry->>'confirmation')::boolean, false))
     )
     -- The feed (db/changes.ts): each new entry (a confirmation changes nothing: not one) and the
     -- platform's own changes, in one insert ordered by version (so their ids are in that order).
     insert into changes (kind, entity_id, version, type, date, received_at, source, operateur_siret)
     select 'CEP', ?, x.v, x.type, x.date, x.received_at, x.source, ?
       from (
         select coalesce((l.entry->>'version')::integer, ?) as v, l.entry->>'type' as type,
                (l.entry->>'date')::date as date, (l.entry->>'receivedAt')::timestamptz as received_at,
                l.entry->>'source' as source, l.seq as ord
           from ledger l where not coalesce((l.entry->>'confirmation')::boolean, false)
         union all
         select g.v, case when g.closure then 'CLOTURE' else 'SITUATION' end,
                case when g.closure then coalesce(?::date, (?::timestamptz)::date) else (?::timestamptz)::date end,
                ?::timestamptz, 'PLATEFORME', 2147483647
           from platform g
       ) x
      order by x.v, x.ord
     -- A version already there stays as it is (one row per version: a retried write published it).
     on conflict do nothing`,
    [
      state.periodeId,
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
      state.statut,
      state.version,
      state.version,
      state.periodeId,
      state.operateurSiret,
      state.version,
      state.dates.cloture,
      state.updatedAt,
      state.updatedAt,
      state.updatedAt,
    ],
  );
}

/** Whether a period's record was deleted at the end of its retention (its id is never reused). */
export async function isPurgedPeriod(em: EntityManager, periodeId: string): Promise<boolean> {
  const rows = await em
    .getConnection()
    .execute<{ n: number }[]>('select 1 as n from cep_purged_ids where periode_id = ?', [periodeId]);
  return rows.length > 0;
}

/** A period's record and its sealed NIR (null: never written). */
export async function readCepRow(
  em: EntityManager,
  periodeId: string,
): Promise<{ data: CepRecordData; nirSealed: Buffer } | null> {
  const [row] = await em
    .getConnection()
    .execute<{ data: CepRecordData; nir_sealed: Buffer }[]>(
      'select data, nir_sealed from cep_periodes where periode_id = ?',
      [periodeId],
    );
  return row ? { data: row.data, nirSealed: row.nir_sealed } : null;
}

/** A page of a period's ledger: the entries after `afterSeq`, oldest first, with their body hash. */
export async function readCepLedger(
  em: EntityManager,
  periodeId: string,
  afterSeq: number,
  limit: number,
): Promise<CepLedgerEntry[]> {
  const rows = await em
    .getConnection()
    .execute<{ entry: Omit<CepLedgerEntry, 'bodyHash'>; body_hash: string }[]>(
      'select entry, body_hash from cep_events where periode_id = ? and seq > ? order by seq limit ?',
      [periodeId, afterSeq, limit],
    );
  return rows.map((r) => ({ ...r.entry, bodyHash: r.body_hash }));
}

/**
 * What the ledger knows of an event sent to a period (domain/aggregate.ts `LedgerKnowledge`): the
 * hash its eventId was accepted with, whether the same fact was, and the last seq written.
 */
export async function cepLedgerKnowledge(
  em: EntityManager,
  periodeId: string,
  event: { eventId: string; bodyHash: string },
): Promise<LedgerKnowledge> {
  const [row] = await em
    .getConnection()
    .execute<{ event_hash: string | null; same_fact: boolean; seq: number }[]>(
      `select (select body_hash from cep_events where periode_id = ? and event_id = ? limit 1) as event_hash,
            exists (select 1 from cep_events where periode_id = ? and body_hash = ?) as same_fact,
            coalesce((select max(seq) from cep_events where periode_id = ?), 0) as seq`,
      [periodeId, event.eventId, periodeId, event.bodyHash, periodeId],
    );
  return {
    eventHash: row?.event_hash ?? null,
    sameFact: row?.same_fact ?? false,
    seq: Number(row?.seq ?? 0),
  };
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

/**
 * The training dossiers a person entered, found by the NIR's keyed hash among every dossier, with
 * whether the period's operator may see each (domain/cep-follow-up.ts `operatorSeesDossier`).
 */
export async function formationEntries(
  em: EntityManager,
  nirHash: Buffer,
  operateurSiret: string,
): Promise<FormationEntry[]> {
  const rows = await em.getConnection().execute<
    {
      dossier_id: string;
      entree: string;
      financeur_sirets: string[];
      organisme_siret: string;
      prescription_operateur: string | null;
    }[]
  >(
    `select dossier_id, data->'dates'->>'entree' as entree, financeur_sirets, organisme_siret,
            data->'prescription'->>'operateurSiret' as prescription_operateur
       from dossiers where nir_hash = ? and data->'dates'->>'entree' is not null
      order by data->'dates'->>'entree', dossier_id limit ?`,
    [nirHash, MAX_ENTRIES],
  );
  return rows.map((r) => ({
    dossierId: r.dossier_id,
    entree: r.entree,
    visible: operatorSeesDossier(operateurSiret, {
      financeurSirets: r.financeur_sirets,
      organismeSiret: r.organisme_siret,
      prescriptionOperateur: r.prescription_operateur,
    }),
  }));
}

/** The closed periods of a person (by the NIR's keyed hash): those a dossier's entry may concern. */
export async function closedPeriodsOf(em: EntityManager, nirHash: Buffer): Promise<string[]> {
  const rows = await em
    .getConnection()
    .execute<{ periode_id: string }[]>(
      `select periode_id from cep_periodes where nir_hash = ? and statut = 'CLOSE'`,
      [nirHash],
    );
  return rows.map((r) => r.periode_id);
}

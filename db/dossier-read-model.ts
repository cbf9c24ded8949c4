import type { EntityManager } from '@mikro-orm/postgresql';
import type { LedgerEntry } from '../domain/dossier-aggregate';
import { publicEntry } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import { publicView, toRecord } from '../domain/dossier-view';
import { numbered, runPrepared } from './prepared';
import { loadsTaken } from '../domain/situations';
import { isInstant } from '../domain/dates';
import { DossierId, type DossierViewT, type HistoryEntry, type ListQuery } from '../domain/schemas';
import type { Actor } from '../domain/authorization';
import { seesAsRemunerateurOnly } from '../domain/authorization';
import { Params, dossierWhere } from './visibility';

/** What a situation point reads as in the facts and the regional file. */
function situationCode(s: DossierViewT['situations'][number] | undefined): string {
  if (!s) return 'EN_ATTENTE';
  return s.statut === 'EMPLOI' && s.meilleurEmploi ? s.meilleurEmploi.categorie : s.statut;
}

/**
 * The incoming state's load of the pending load's month (a parameter: `loadsTaken`, none: past
 * any, it no longer waits on that month) compared with the pending load's version.
 */
const takenVersus = (pending: string, cmp: '<' | '>=') =>
  `coalesce((?::jsonb ->> (${pending}->>'mois'))::bigint, 9223372036854775807) ${cmp} (${pending}->>'version')::bigint`;

/**
 * The projection of a state. `dossiers.pending_load` is a DSN load whose situations the month's
 * wake-up wrote before the workflow took it (activities/month-wake.ts): a state that has not taken
 * it is held back (`blocked`: the caller has the workflow take it, and its intent stays for the
 * sweeper), and a state of the same version that has taken it replaces the wake-up's. The wake-up's
 * own write (`WAKE_GUARD`) goes only where no load is pending and no event is in flight.
 */
const UPSERT_TEMPLATE = `with prev as (select data, version, pending_load from dossiers where dossier_id = ?),
     blocked as (
       select p.pending_load from prev p
        where p.pending_load is not null
          and ${takenVersus('p.pending_load', '<')}
     ),
     settled as (delete from projection_intents where id = ?::uuid and not exists (select 1 from blocked)),
     ledger as (
       insert into dossier_events (dossier_id, seq, event_id, body_hash, type, source, received_at, entry)
       select ?, e.seq, e.event_id, e.body_hash, e.entry->>'type', e.entry->>'source',
              (e.entry->>'receivedAt')::timestamptz, e.entry
         from jsonb_to_recordset(?::jsonb) as e(seq integer, event_id varchar, body_hash varchar, entry jsonb)
       on conflict do nothing
       returning seq, entry
     ),
     waiting as (
       insert into dossier_dsn_months (mois, dossier_id)
       select m, ? from unnest(?::varchar[]) as m on conflict do nothing
     ),
     d as (
       insert into dossiers (dossier_id, version, status, interrompu, issue, organisme_siret, financeur_sirets,
         region, dispositif, objectif, created_at, updated_at, data, nir_hash, nir_sealed, closed_on,
         remunerateur_siret, pending_load)
       values (?, ?, ?, ?, ?, ?, ?::varchar(14)[], ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::date, ?, ?::jsonb)
       on conflict (dossier_id) do update set
         version = excluded.version, status = excluded.status, interrompu = excluded.interrompu,
         issue = excluded.issue, organisme_siret = excluded.organisme_siret,
         financeur_sirets = excluded.financeur_sirets, region = excluded.region,
         dispositif = excluded.dispositif, objectif = excluded.objectif,
         updated_at = excluded.updated_at, data = excluded.data,
         nir_hash = excluded.nir_hash, nir_sealed = excluded.nir_sealed, closed_on = excluded.closed_on,
         remunerateur_siret = excluded.remunerateur_siret, pending_load = excluded.pending_load
       where (dossiers.version < excluded.version
              or (dossiers.version = excluded.version and dossiers.pending_load is not null))
         and (dossiers.pending_load is null
              or ${takenVersus('dossiers.pending_load', '>=')})
         WAKE_GUARD
       returning 1
     ),
     -- Each version past the stored one that no new entry holds: what the platform itself recorded
     -- besides (a situation found, the certification's timer), offered as its own change, so that
     -- the feed skips no version. The state's own version, when no entry holds it, is typed by what
     -- changed since the stored record; the others (versions recorded together) as SITUATION.
     -- The feed (db/changes.ts): each new entry (a confirmation changes nothing: not one), then
     -- the platform's own changes, in one insert ordered by version (so their ids are in that order).
     -- A version already there stays as it is (one row per version: another writer of the record,
     -- whose snapshot was older or newer, published it first).
     fed as (
       insert into changes (kind, entity_id, version, type, date, received_at, source,
         organisme_siret, financeur_sirets, region, remunerateur_siret)
       select 'DOSSIER', ?, x.version, x.type, x.date, x.received_at, x.source, ?, ?::varchar(14)[], ?, ?
         from (
           select coalesce((l.entry->>'version')::integer, ?) as version, l.entry->>'type' as type,
                  (l.entry->>'date')::date as date, (l.entry->>'receivedAt')::timestamptz as received_at,
                  l.entry->>'source' as source, l.seq as ord
             from ledger l
            where not coalesce((l.entry->>'confirmation')::boolean, false)
           union all
           select g.v,
                  case when g.v < ?::integer then 'SITUATION'
                       when p.data->'certification' is distinct from ?::jsonb->'certification' then 'CERTIFICATION'
                       when p.data->'remunerations' is distinct from ?::jsonb->'remunerations' then 'REMUNERATION'
                       else 'SITUATION' end,
                  (?::timestamptz)::date, ?::timestamptz, 'PLATEFORME', 2147483647
             from prev p cross join generate_series(p.version + 1, ?::integer) as g(v)
            where exists (select 1 from d)
              and g.v not in (select coalesce((l.entry->>'version')::integer, ?::integer) from ledger l
                               where not coalesce((l.entry->>'confirmation')::boolean, false))
         ) x
        order by x.version, x.ord
       on conflict do nothing
     ),
     facts as (
     insert into dossier_facts (dossier_id, version, status, issue, organisme_siret, financeur_sirets, region,
       departement, dispositif, objectif, date_entree, date_sortie, motif_sortie,
       sit_validation, sit_entree, sit_sortie, sit_m3, sit_m6, sit_m12,
       durable_m3, durable_m6, durable_m12, multi_m3, multi_m6, multi_m12,
       montants_engages, montants_realises, nir_hash, remunerateur_siret, nsf, certification, cert_statut,
       qpv, duree_heures, heures_realisees)
     values (?, ?, ?, ?, ?, ?::varchar(14)[], ?, ?, ?, ?, ?::date, ?::date, ?, ?, ?, ?, ?, ?, ?,
       ?, ?, ?, ?, ?, ?, ?::numeric[], ?::numeric[], ?, ?, ?, ?, ?, ?::boolean, ?::numeric, ?::numeric)
     on conflict (dossier_id) do update set
       version = excluded.version, status = excluded.status, issue = excluded.issue,
       organisme_siret = excluded.organisme_siret,
       financeur_sirets = excluded.financeur_sirets, region = excluded.region,
       departement = excluded.departement, dispositif = excluded.dispositif,
       objectif = excluded.objectif, date_entree = excluded.date_entree,
       date_sortie = excluded.date_sortie, motif_sortie = excluded.motif_sortie,
       sit_validation = excluded.sit_validation, sit_entree = excluded.sit_entree,
       sit_sortie = excluded.sit_sortie, sit_m3 = excluded.sit_m3, sit_m6 = excluded.sit_m6,
       sit_m12 = excluded.sit_m12, durable_m3 = excluded.durable_m3,
       durable_m6 = excluded.durable_m6, durable_m12 = excluded.durable_m12,
       multi_m3 = excluded.multi_m3, multi_m6 = excluded.multi_m6, multi_m12 = excluded.multi_m12,
       montants_engages = excluded.montants_engages, montants_realises = excluded.montants_realises,
       nir_hash = excluded.nir_hash, remunerateur_siret = excluded.remunerateur_siret,
       nsf = excluded.nsf, certification = excluded.certification, cert_statut = excluded.cert_statut,
       qpv = excluded.qpv, duree_heures = excluded.duree_heures, heures_realisees = excluded.heures_realisees
     where dossier_facts.version <= excluded.version and exists (select 1 from d)
     )
     select exists (select 1 from d) as written, (select pending_load from blocked) as blocked`;
const UPSERT_SQL = UPSERT_TEMPLATE.replace('WAKE_GUARD', '');
const UPSERT_SQL_NUMBERED = numbered(UPSERT_SQL);
/** The wake-up's write: where no load is pending and no partner event is in flight. */
const WAKE_UPSERT_SQL_NUMBERED = numbered(
  UPSERT_TEMPLATE.replace(
    'WAKE_GUARD',
    `and dossiers.pending_load is null
         and not exists (select 1 from projection_intents i where i.dossier_id = dossiers.dossier_id)`,
  ),
);

/** A DSN load whose situations the month's wake-up wrote before the dossier's workflow took it. */
export interface PendingLoad {
  mois: string;
  version: number;
  /** The record's version the situations were computed from (they make version base + 1). */
  base: number;
  /** The day and the time they were computed at (the workflow takes the load with the same). */
  today: string;
  at: string;
  /** What they show (domain/situations.ts `seenDigest`): the workflow's must be the same. */
  seen: string;
}

/**
 * Whether the state was written; if not, the load it has to take first (null: it was merely not
 * newer than the stored one).
 */
export interface UpsertOutcome {
  written: boolean;
  blockedBy: PendingLoad | null;
}

/**
 * Write the dossier's row unless the stored one is already as new: a late or replayed projection
 * never overwrites a newer version. The full NIR is not stored here, only its keyed hash and its
 * sealed value. The same statement appends the ledger entries not there yet, writes the narrow
 * facts row the indicators read (guarded by the same version) and settles a projection intent:
 * one round trip, atomic.
 */
export async function upsertDossier(
  em: EntityManager,
  state: DossierState,
  nir: { hash: Buffer; sealed: Buffer },
  /** A projection intent (db/projection-intents.ts) settled by the same statement. */
  intentId?: string,
  /** Accepted events the ledger may lack (written once: the ledger is keyed by dossier and seq). */
  entries: readonly LedgerEntry[] = [],
  /**
   * The month's wake-up writing a load's situations ahead of the workflow (activities/month-wake.ts):
   * recorded as pending, and written only where none is pending and no event is in flight.
   */
  wake?: PendingLoad,
): Promise<UpsertOutcome> {
  const view = toRecord(state);
  const ledger = entries.map((e) => ({
    seq: e.seq,
    event_id: e.eventId,
    body_hash: e.bodyHash,
    entry: publicEntry(e),
  }));
  const financeurs = `{${state.financements.map((f) => f.financeurSiret).join(',')}}`;
  const at = (p: string) => view.situations.find((s) => s.point === p);
  const durable = (p: string) => at(p)?.meilleurEmploi?.emploiDurable ?? null;
  const multi = (p: string) => at(p)?.multiEmploi ?? null;
  // The months its points wait on stay registered, whatever took a registration back in between
  // (a refused event's cleanup racing an accepted one): their load must wake the dossier.
  const waiting = state.situations
    .filter((s) => s.statut === 'EN_ATTENTE' && s.checkedOn !== undefined && s.mois !== null)
    .map((s) => s.mois!);
  // Who sees the changes of this version (the feed's rows carry them: db/changes.ts).
  const parties = [state.organisme.siret, financeurs, state.action.region, state.remunerateurSiret ?? null];
  const taken = JSON.stringify(loadsTaken(state.situations));
  const values = [
    state.dossierId,
    taken,
    intentId ?? null,
    state.dossierId,
    JSON.stringify(ledger),
    state.dossierId,
    `{${[...new Set(waiting)].join(',')}}`,
    state.dossierId,
    state.version,
    state.status,
    state.interrompu,
    state.issue,
    state.organisme.siret,
    financeurs,
    state.action.region,
    state.action.dispositif,
    state.action.objectif,
    state.createdAt,
    state.updatedAt,
    JSON.stringify(view),
    nir.hash,
    nir.sealed,
    state.dates.cloture,
    state.remunerateurSiret ?? null,
    wake ? JSON.stringify(wake) : null,
    taken,
    state.dossierId,
    ...parties,
    state.version,
    state.version,
    JSON.stringify(view),
    JSON.stringify(view),
    state.updatedAt,
    state.updatedAt,
    state.version,
    state.version,
    state.dossierId,
    state.version,
    state.status,
    state.issue,
    state.organisme.siret,
    financeurs,
    state.action.region,
    state.action.departement ?? null,
    state.action.dispositif,
    state.action.objectif,
    state.dates.entree,
    state.dates.sortie,
    view.sortie?.motif ?? null,
    ...['VALIDATION', 'ENTREE', 'SORTIE', 'M3', 'M6', 'M12'].map((p) => situationCode(at(p))),
    durable('M3'),
    durable('M6'),
    durable('M12'),
    multi('M3'),
    multi('M6'),
    multi('M12'),
    `{${state.financements.map((f) => f.montantEngage).join(',')}}`,
    `{${state.financements.map((f) => f.montantRealise ?? 'NULL').join(',')}}`,
    nir.hash,
    state.remunerateurSiret ?? null,
    state.action.nsf ?? null,
    state.certification?.code ?? null,
    state.certification?.statut ?? null,
    state.action.qpv ?? null,
    state.action.dureeHeures ?? null,
    state.sortie?.heuresRealisees ?? null,
  ];
  const ctx = em.getTransactionContext();
  if (wake && ctx) throw new Error("the wake-up's write runs outside a transaction");
  const rows = wake
    ? await runPrepared<UpsertRow>(em, 'agora_wake_upsert_dossier', WAKE_UPSERT_SQL_NUMBERED, values)
    : ctx
      ? await em.getConnection().execute<UpsertRow[]>(UPSERT_SQL, values, 'all', ctx)
      : await runPrepared<UpsertRow>(em, 'agora_upsert_dossier', UPSERT_SQL_NUMBERED, values);
  const row = rows[0];
  const written = row?.written === true;
  if (written || row?.blocked || wake) return { written, blockedBy: row?.blocked ?? null };
  // Not written, and not held back as of the statement's snapshot: a load written ahead since (its
  // row is what the conflict clause saw) may have held it back all the same.
  const [now] = await runPrepared<{ pending_load: PendingLoad | null }>(
    em,
    'agora_pending_load',
    'select pending_load from dossiers where dossier_id = $1',
    [state.dossierId],
  );
  const pending = now?.pending_load ?? null;
  const blocked =
    pending !== null && (loadsTaken(state.situations)[pending.mois] ?? Infinity) < pending.version;
  return { written, blockedBy: blocked ? pending : null };
}

interface UpsertRow {
  written: boolean;
  blocked: PendingLoad | null;
}

interface Cursor {
  c: string;
  d: string;
  /** The order the page was read in (absent: newest first). */
  s?: ListSort;
}

/** The list's orders: newest first (default), oldest first, by dossier number. */
export type ListSort = 'recent' | 'ancien' | 'numero';
const ORDER: Record<ListSort, { by: string; after: string }> = {
  recent: { by: 'created_at desc, dossier_id desc', after: '(created_at, dossier_id) < (?::timestamptz, ?)' },
  ancien: { by: 'created_at asc, dossier_id asc', after: '(created_at, dossier_id) > (?::timestamptz, ?)' },
  numero: { by: 'dossier_id asc', after: '(?::timestamptz is not null and dossier_id > ?)' },
};
/** A page's count stops there: "more than 10,000" costs no more than 10,000. */
const TOTAL_CAP = 10_000;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): Cursor | null {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      c &&
      typeof c === 'object' &&
      typeof (c as Cursor).c === 'string' &&
      typeof (c as Cursor).d === 'string' &&
      ((c as Cursor).s === undefined || (c as Cursor).s! in ORDER) &&
      DossierId.safeParse((c as Cursor).d).success
    ) {
      const at = (c as Cursor).c;
      if (!isInstant(at)) return null;
      return c as Cursor;
    }
  } catch {
    // fall through: an unreadable cursor is the caller's error
  }
  return null;
}

/** Visible dossiers, newest first, keyset-paged. `cursor` must already be decoded. */
export async function listDossiers(
  em: EntityManager,
  actor: Actor,
  q: Omit<ListQuery, 'cursor' | 'nir'> & {
    cursor?: Cursor;
    nirHash?: Buffer;
    /** A last name or its start, normalised in SQL as the index is (migration name_search). */
    nom?: string;
    dateNaissance?: string;
  },
): Promise<{ items: DossierViewT[]; nextCursor: string | null; total?: number; totalExact?: boolean }> {
  const params = new Params();
  const where = dossierWhere(actor, q, '', params);
  const sort: ListSort = q.sort ?? 'recent';
  const filter = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.list.push(...values);
  };
  if (q.nirHash) filter('nir_hash = ?', q.nirHash);
  if (q.nom) filter("agora_nom_norm(data->'stagiaire'->>'nom') like agora_nom_norm(?) || '%'", q.nom);
  if (q.dateNaissance) filter("data->'stagiaire'->>'dateNaissance' = ?", q.dateNaissance);
  if (q.idPrefix)
    filter(
      "dossier_id like ? || '%'",
      q.idPrefix.replace(/[_%\\]/g, (ch) => `\\${ch}`),
    );
  if (q.issue) filter('issue = ?', q.issue);
  if (q.interrompu) filter('interrompu = ?', q.interrompu === 'true');
  if (q.createdFrom) filter("created_at >= (?::date)::timestamp at time zone 'UTC'", q.createdFrom);
  if (q.createdTo) filter("created_at < (?::date + 1)::timestamp at time zone 'UTC'", q.createdTo);
  // Business dates (ISO days in the view): compared as text, which orders them.
  if (q.entreeFrom) filter("data->'dates'->>'entree' >= ?", q.entreeFrom);
  if (q.entreeTo) filter("data->'dates'->>'entree' <= ?", q.entreeTo);
  if (q.sortieFrom) filter("data->'dates'->>'sortie' >= ?", q.sortieFrom);
  if (q.sortieTo) filter("data->'dates'->>'sortie' <= ?", q.sortieTo);
  // The count, before the cursor: the whole list's, up to TOTAL_CAP.
  let total: { total: number; totalExact: boolean } | undefined;
  if (q.withTotal === 'true') {
    const [row] = await em
      .getConnection()
      .execute<{ n: string }[]>(
        `select count(*) as n from (select 1 from dossiers ${where.length ? `where ${where.join(' and ')}` : ''} limit ?) t`,
        [...params.list, TOTAL_CAP + 1],
      );
    const n = Number(row?.n ?? 0);
    total = { total: Math.min(n, TOTAL_CAP), totalExact: n <= TOTAL_CAP };
  }
  if (q.cursor) filter(ORDER[sort].after, q.cursor.c, q.cursor.d);
  params.list.push(q.limit + 1);
  const rows = await em.getConnection().execute<
    {
      data: DossierViewT;
      created_at: Date;
      dossier_id: string;
      organisme_siret: string;
      financeur_sirets: string[];
      region: string;
      remunerateur_siret: string | null;
    }[]
  >(
    `select data, created_at, dossier_id, organisme_siret, financeur_sirets, region, remunerateur_siret from dossiers ${where.length ? `where ${where.join(' and ')}` : ''}
       order by ${ORDER[sort].by} limit ?`,
    params.list,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > q.limit && last
      ? encodeCursor({
          c: new Date(last.created_at).toISOString(),
          d: last.dossier_id,
          ...(sort === 'recent' ? {} : { s: sort }),
        })
      : null;
  return {
    items: page.map((r) =>
      publicView(r.data, {
        payOnly: seesAsRemunerateurOnly(actor, {
          organismeSiret: r.organisme_siret,
          financeurSirets: r.financeur_sirets,
          region: r.region,
          remunerateurSiret: r.remunerateur_siret,
        }),
      }),
    ),
    nextCursor,
    ...total,
  };
}

/** A dossier's record and its sealed NIR (null: never projected, or purged). */
export async function readRecord(
  em: EntityManager,
  dossierId: string,
): Promise<{ record: DossierViewT; nirSealed: Buffer } | null> {
  const rows = await runPrepared<{ data: DossierViewT; nir_sealed: Buffer }>(
    em,
    'agora_read_record',
    'select data, nir_sealed from dossiers where dossier_id = $1',
    [dossierId],
  );
  const row = rows[0];
  return row ? { record: row.data, nirSealed: row.nir_sealed } : null;
}

/** A page of a dossier's ledger: the entries after `afterSeq`, oldest first. */
export async function readLedger(
  em: EntityManager,
  dossierId: string,
  afterSeq: number,
  limit: number,
): Promise<HistoryEntry[]> {
  const rows = await runPrepared<{ entry: HistoryEntry }>(
    em,
    'agora_read_ledger',
    'select entry from dossier_events where dossier_id = $1 and seq > $2 order by seq limit $3',
    [dossierId, afterSeq, limit],
  );
  return rows.map((r) => r.entry);
}

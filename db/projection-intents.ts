import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { LedgerEntry, LedgerKnowledge } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import { type PendingLoad, upsertDossier } from './dossier-read-model';
import { REGISTER_MONTHS_SQL, monthArray, monthsNotLoaded } from './dsn-lookup';
import { numbered, runPrepared } from './prepared';

/**
 * The read model is written by whoever has the dossier's new state first. For a partner event
 * that is the API, which holds the state the Update answers: it writes an intent before sending
 * the event and settles it in the projection's statement, so the event's Temporal history has
 * no projection in it. An intent still there after a while (the API died in between, or the
 * database went away) is projected from the workflow's current state by the workers' sweeper.
 * Every write is guarded by the dossier's version, so the order of the writers does not matter.
 */
export interface Projector {
  /**
   * Write the state (idempotent by version) and the ledger entries it may lack (idempotent by
   * seq), settling the intent in the same statement; `em` to write inside a transaction of the
   * caller's.
   */
  project(record: ProjectedRecord, intentId?: string, em?: EntityManager): Promise<void>;
  // A state held back by a load the month's wake-up wrote ahead of its workflow (`pending_load`,
  // db/dossier-read-model.ts) is not written: the projector's `onBlocked` has the workflow take
  // the load, after which the workflow writes its state itself (and the intent stays meanwhile).
  /**
   * Record that an event is about to be sent for the dossier; its id settles it. The same
   * statement reads what the ledger knows of the event (LedgerKnowledge). `months`: the DSN months
   * the event makes owed, for which the dossier is registered in the same statement
   * (db/dsn-lookup.ts); then `notLoaded` tells which of them are not loaded.
   */
  openIntent(
    dossierId: string,
    event: { eventId: string; bodyHash: string },
    months?: string[],
  ): Promise<OpenedIntent>;
  /**
   * Claim a dossierId for a creation, with an intent for its projection, in one statement: false
   * with the creation that holds it when the id was ever created before.
   */
  claim(
    dossierId: string,
    creation: { eventId: string; bodyHash: string },
  ): Promise<{ intentId: string; claimed: boolean; holder: ClaimHolder | null }>;
  /**
   * The event was refused or never reached a workflow: nothing to project. `forget`: the months
   * the intent registered, taken back (a refused event leaves no trace) unless the dossier's
   * record has a point on them.
   */
  dropIntent(intentId: string, forget?: { dossierId: string; months: string[] }): Promise<void>;
}

/** An intent, what the ledger knows of the event, and the DSN months it registered the dossier for. */
export interface OpenedIntent {
  id: string;
  /** Of the months asked, those not loaded. */
  notLoaded: string[];
  /** Of the months asked, those this intent registered (the dossier had not used them yet). */
  registered: string[];
  ledger: LedgerKnowledge;
  /**
   * A load the month's wake-up wrote ahead of the dossier's workflow, not taken yet: the caller has
   * the workflow take it before the event (services/pending-loads.ts), so that the state the event
   * answers has it and its projection is not held back.
   */
  pendingLoad: PendingLoad | null;
}

/** The creation that first claimed a dossierId; `purged`: its record was deleted at the end of retention. */
export interface ClaimHolder {
  eventId: string;
  bodyHash: string;
  purged: boolean;
}

/** A state and the ledger entries it may lack: what each writer of the record has. */
export interface ProjectedRecord {
  state: DossierState;
  entries?: readonly LedgerEntry[];
}

/**
 * What the ledger knows of an event: the hash its eventId was accepted with, whether the same
 * fact was, and the seq up to which every entry is there (seqs run from 1 without a hole up to
 * it: an entry whose writer died is missing until the sweeper writes it, and the workflow keeps
 * it until then).
 */
const LEDGER_KNOWLEDGE_SQL = `select
    (select body_hash from dossier_events where dossier_id = ? and event_id = ?) as event_hash,
    exists (select 1 from dossier_events where dossier_id = ? and body_hash = ?) as same_fact,
    (select coalesce(max(seq), 0) from (
       select seq, row_number() over (order by seq) as n from dossier_events where dossier_id = ?
     ) numbered where seq = n) as seq,
    (select pending_load from dossiers where dossier_id = ?) as pending_load`;
const OPEN_INTENT_SQL = numbered(
  `with intent as (insert into projection_intents (id, dossier_id) values (?, ?)) ${LEDGER_KNOWLEDGE_SQL}`,
);
// Also which months this statement registered (not those the dossier had already): a refused
// event takes back what it registered (`dropIntent`).
const OPEN_INTENT_MONTHS_SQL = numbered(
  `with registered as (${REGISTER_MONTHS_SQL} returning mois),
        intent as (insert into projection_intents (id, dossier_id) values (?, ?)),
        knowledge as (${LEDGER_KNOWLEDGE_SQL})
   select knowledge.*, (select array_agg(mois) from registered) as registered from knowledge`,
);
// Within one statement the claim's own insert is not visible to the select: an id already there
// reads its holder, a new one reads nothing.
const CLAIM_SQL = `with claim as (
      insert into dossier_ids (dossier_id, event_id, body_hash) values ($1, $2, $3)
      on conflict do nothing returning 1
    ),
    intent as (insert into projection_intents (id, dossier_id) values ($4, $1))
  select exists (select 1 from claim) as claimed, h.event_id, h.body_hash, h.purged_at is not null as purged
    from (select 1) one left join dossier_ids h on h.dossier_id = $1`;
type KnowledgeRow = {
  event_hash: string | null;
  same_fact: boolean;
  seq: number | string;
  registered?: string[] | null;
  pending_load: PendingLoad | null;
};

// Unless the dossier's record has a point on that month (an accepted event of its own needs it).
const FORGET_MONTHS_SQL = `delete from dossier_dsn_months m
  where m.dossier_id = $1 and m.mois = any($2::varchar[])
    and not exists (select 1 from dossiers d where d.dossier_id = $1
      and d.data->'situations' @> jsonb_build_array(jsonb_build_object('mois', m.mois)))`;

export function createProjector(deps: {
  orm: MikroORM;
  hashNir: (nir: string) => Buffer;
  seal: (text: string) => Buffer;
  /**
   * A state was held back by a load the wake-up wrote ahead of the dossier's workflow: have the
   * workflow take it (services/pending-loads.ts). A failure is not the projection's: the intent
   * stays for the sweeper, and the nightly re-check signals pending loads too.
   */
  onBlocked?: (dossierId: string, load: PendingLoad) => Promise<void>;
}): Projector {
  const em = (): EntityManager => deps.orm.em.fork();
  const knowledge = (row: KnowledgeRow | undefined): LedgerKnowledge => ({
    eventHash: row?.event_hash ?? null,
    sameFact: row?.same_fact === true,
    seq: Number(row?.seq ?? 0),
  });
  return {
    async project({ state, entries }, intentId, within) {
      const nir = state.stagiaire.nir;
      const { blockedBy } = await upsertDossier(
        within ?? em(),
        state,
        { hash: deps.hashNir(nir), sealed: deps.seal(nir) },
        intentId,
        entries,
      );
      if (blockedBy && deps.onBlocked)
        await deps.onBlocked(state.dossierId, blockedBy).catch(() => undefined);
    },
    async openIntent(dossierId, event, months = []) {
      const id = randomUUID();
      const conn = em();
      const asked = [dossierId, event.eventId, dossierId, event.bodyHash, dossierId, dossierId];
      if (months.length === 0) {
        const rows = await runPrepared<KnowledgeRow>(conn, 'agora_open_intent_ledger', OPEN_INTENT_SQL, [
          id,
          dossierId,
          ...asked,
        ]);
        return {
          id,
          notLoaded: [],
          registered: [],
          ledger: knowledge(rows[0]),
          pendingLoad: rows[0]?.pending_load ?? null,
        };
      }
      const rows = await runPrepared<KnowledgeRow>(
        conn,
        'agora_open_intent_months_ledger',
        OPEN_INTENT_MONTHS_SQL,
        [dossierId, monthArray(months), id, dossierId, ...asked],
      );
      // A read of its own, after the registration is committed (db/dsn-lookup.ts).
      return {
        id,
        notLoaded: await monthsNotLoaded(conn, months),
        registered: rows[0]?.registered ?? [],
        ledger: knowledge(rows[0]),
        pendingLoad: rows[0]?.pending_load ?? null,
      };
    },
    async claim(dossierId, creation) {
      const intentId = randomUUID();
      const rows = await runPrepared<{
        claimed: boolean;
        event_id: string | null;
        body_hash: string | null;
        purged: boolean;
      }>(em(), 'agora_claim_dossier', CLAIM_SQL, [dossierId, creation.eventId, creation.bodyHash, intentId]);
      let row = rows[0];
      const claimed = row?.claimed === true;
      if (!claimed && row?.event_id == null) {
        // Claimed at the same moment by another call: its row was not in this statement's snapshot.
        [row] = await runPrepared<{
          claimed: boolean;
          event_id: string | null;
          body_hash: string | null;
          purged: boolean;
        }>(
          em(),
          'agora_claim_holder',
          'select false as claimed, event_id, body_hash, purged_at is not null as purged from dossier_ids where dossier_id = $1',
          [dossierId],
        );
      }
      const holder =
        row?.event_id != null
          ? { eventId: row.event_id, bodyHash: row.body_hash ?? '', purged: row.purged === true }
          : null;
      return { intentId, claimed, holder };
    },
    async dropIntent(intentId, forget) {
      await runPrepared(em(), 'agora_drop_intent', 'delete from projection_intents where id = $1', [
        intentId,
      ]);
      if (forget && forget.months.length > 0) {
        await runPrepared(em(), 'agora_forget_months', FORGET_MONTHS_SQL, [
          forget.dossierId,
          monthArray(forget.months),
        ]);
      }
    },
  };
}

/**
 * A dossier whose record the sweeper failed to write this many times (a row the database refuses)
 * is quarantined: its intents stay, counted on /metrics, and are no longer tried, so that one
 * poisoned dossier never holds the others back. `update projection_intents set attempts = 0`
 * tries them again once fixed.
 */
export const QUARANTINE_ATTEMPTS = 5;

/** Intents older than this are the sweeper's: the API settles its own within milliseconds, and gives up on Temporal after 15 s. */
export const INTENT_GRACE_SECONDS = 30;

/**
 * Settle the intents left behind: for each dossier, its current state and the entries the ledger
 * may lack (read with `current`, null when no workflow holds it) are projected and its intents
 * removed, one dossier per transaction. Claimed with SKIP LOCKED so several workers sweep side by
 * side. A dossier whose state cannot be read or written now (Temporal unreachable, a row the
 * database refuses, a deadlock) is left for the next sweep and does not hold the others back:
 * `failed` lists them, `quarantined` those that just reached QUARANTINE_ATTEMPTS. `settled`
 * counts the intents removed.
 */
export async function sweepIntents(
  orm: MikroORM,
  projector: Projector,
  current: (dossierId: string) => Promise<ProjectedRecord | null>,
  /** `only`: these dossiers' intents and no others (a test sharing its database with others). */
  opts: { graceSeconds?: number; limit?: number; only?: readonly string[] } = {},
): Promise<{ settled: number; failed: string[]; quarantined: string[] }> {
  const grace = opts.graceSeconds ?? INTENT_GRACE_SECONDS;
  // An array literal: the driver would spread a JavaScript array into a list.
  const only = opts.only ? `{${opts.only.map((id) => JSON.stringify(id)).join(',')}}` : null;
  const dossiers = await orm.em.getConnection().execute<{ dossier_id: string }[]>(
    `select dossier_id from projection_intents
      where created_at < now() - make_interval(secs => ?) and attempts < ?
        and (?::text[] is null or dossier_id = any(?::text[]))
      group by dossier_id order by min(created_at) limit ?`,
    [grace, QUARANTINE_ATTEMPTS, only, only, opts.limit ?? 100],
  );
  let settled = 0;
  const failed: string[] = [];
  const quarantined: string[] = [];
  for (const { dossier_id: dossierId } of dossiers) {
    try {
      settled += await orm.em.fork().transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const rows = await conn.execute<{ id: string }[]>(
          `select id from projection_intents
            where dossier_id = ? and created_at < now() - make_interval(secs => ?)
            for update skip locked`,
          [dossierId, grace],
          'all',
          ctx,
        );
        if (rows.length === 0) return 0; // another worker has them
        const record = await current(dossierId);
        if (record) await projector.project(record, undefined, tx);
        await conn.execute(
          'delete from projection_intents where id = any(?::uuid[])',
          [`{${rows.map((r) => r.id).join(',')}}`],
          'run',
          ctx,
        );
        return rows.length;
      });
    } catch {
      failed.push(dossierId);
      // Counted outside the failed transaction; a dossier that keeps failing is left aside.
      const [row] = await orm.em
        .getConnection()
        .execute<{ attempts: number }[]>(
          `update projection_intents set attempts = attempts + 1
            where dossier_id = ? and created_at < now() - make_interval(secs => ?) returning attempts`,
          [dossierId, grace],
        )
        .catch(() => [] as { attempts: number }[]);
      if (row && row.attempts >= QUARANTINE_ATTEMPTS) quarantined.push(dossierId);
    }
  }
  return { settled, failed, quarantined };
}

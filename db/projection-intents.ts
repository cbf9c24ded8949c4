import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { DossierState } from '../domain/dossier-state';
import { upsertDossier } from './dossier-read-model';
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
   * Write the state (idempotent by version), settling the intent in the same statement; `em`
   * to write inside a transaction of the caller's.
   */
  project(state: DossierState, intentId?: string, em?: EntityManager): Promise<void>;
  /**
   * Record that an event is about to be sent for the dossier; its id settles it. `months`: the
   * DSN months the event makes owed, for which the dossier is registered in the same statement
   * (db/dsn-lookup.ts); then `notLoaded` tells which of them are not loaded.
   */
  openIntent(dossierId: string, months?: string[]): Promise<{ id: string; notLoaded: string[] }>;
  /**
   * The event was refused or never reached a workflow: nothing to project. `forget`: the months
   * registered with the intent, for a dossier that no workflow holds (a mistyped or made-up id):
   * they are unregistered unless the dossier is in the read model.
   */
  dropIntent(intentId: string, forget?: { dossierId: string; months: string[] }): Promise<void>;
}

const OPEN_INTENT_SQL = 'insert into projection_intents (id, dossier_id) values ($1, $2)';
const OPEN_INTENT_MONTHS_SQL = numbered(
  `with registered as (${REGISTER_MONTHS_SQL}) insert into projection_intents (id, dossier_id) values (?, ?)`,
);

const FORGET_MONTHS_SQL = `delete from dossier_dsn_months
  where dossier_id = $1 and mois = any($2::varchar[])
    and not exists (select 1 from dossiers where dossier_id = $1)`;

export function createProjector(deps: {
  orm: MikroORM;
  hashNir: (nir: string) => Buffer;
  seal: (text: string) => Buffer;
}): Projector {
  const em = (): EntityManager => deps.orm.em.fork();
  return {
    async project(state, intentId, within) {
      const nir = state.stagiaire.nir;
      await upsertDossier(
        within ?? em(),
        state,
        { hash: deps.hashNir(nir), sealed: deps.seal(nir) },
        intentId,
      );
    },
    async openIntent(dossierId, months = []) {
      const id = randomUUID();
      const conn = em();
      if (months.length === 0) {
        await runPrepared(conn, 'agora_open_intent', OPEN_INTENT_SQL, [id, dossierId]);
        return { id, notLoaded: [] };
      }
      await runPrepared(conn, 'agora_open_intent_months', OPEN_INTENT_MONTHS_SQL, [
        dossierId,
        monthArray(months),
        id,
        dossierId,
      ]);
      // A read of its own, after the registration is committed (db/dsn-lookup.ts).
      return { id, notLoaded: await monthsNotLoaded(conn, months) };
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

/** Intents older than this are the sweeper's: the API settles its own within milliseconds, and gives up on Temporal after 15 s. */
export const INTENT_GRACE_SECONDS = 30;

/**
 * Settle the intents left behind: for each dossier, its current state (read with `current`, null
 * when no workflow holds it) is projected and its intents removed. Claimed with SKIP LOCKED so
 * several workers sweep side by side; an intent whose state cannot be read now stays for the next
 * sweep. Returns how many intents were settled.
 */
export async function sweepIntents(
  orm: MikroORM,
  projector: Projector,
  current: (dossierId: string) => Promise<DossierState | null>,
  opts: { graceSeconds?: number; limit?: number } = {},
): Promise<number> {
  const grace = opts.graceSeconds ?? INTENT_GRACE_SECONDS;
  const limit = opts.limit ?? 100;
  return orm.em.fork().transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const rows = await conn.execute<{ id: string; dossier_id: string }[]>(
      `select id, dossier_id from projection_intents
        where created_at < now() - make_interval(secs => ?)
        order by created_at limit ? for update skip locked`,
      [grace, limit],
      'all',
      ctx,
    );
    const byDossier = new Map<string, string[]>();
    for (const r of rows) byDossier.set(r.dossier_id, [...(byDossier.get(r.dossier_id) ?? []), r.id]);
    let settled = 0;
    for (const [dossierId, ids] of byDossier) {
      let state: DossierState | null;
      try {
        state = await current(dossierId);
      } catch {
        continue; // Temporal unreachable: the next sweep tries again
      }
      if (state) await projector.project(state, undefined, tx);
      await conn.execute(
        'delete from projection_intents where id = any(?::uuid[])',
        [`{${ids.join(',')}}`],
        'run',
        ctx,
      );
      settled += ids.length;
    }
    return settled;
  });
}

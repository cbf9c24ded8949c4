import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';

/**
 * DOSSIER_READ: a full NIR read; DSN_READ: a dossier's situations from the DSN read (a person's
 * employment); DSN_LIST: a page of a list or search showing such situations; NIR_SEARCH; NAME_SEARCH (by last name); EXPORT;
 * CEP_READ: a CEP period read with its full NIR; CEP_NIR_SEARCH: a search of periods by NIR.
 */
export type AuditAction =
  | 'DOSSIER_READ'
  | 'DSN_READ'
  | 'DSN_LIST'
  | 'NIR_SEARCH'
  | 'NAME_SEARCH'
  | 'EXPORT'
  | 'CEP_READ'
  | 'CEP_NIR_SEARCH';

/** Record a read of personal data: who, what, when; never the personal data itself. */
export async function recordAccess(
  em: EntityManager,
  actor: Actor,
  action: AuditAction,
  dossierId: string | null,
  detail?: Record<string, unknown>,
): Promise<void> {
  await em
    .getConnection()
    .execute(
      'insert into access_audit (actor, actor_siret, agent, action, dossier_id, detail) values (?, ?, ?, ?, ?, ?::jsonb)',
      [
        actor.admin ? 'ADMIN' : actor.partnerId,
        actor.admin ? null : actor.siret,
        actor.admin ? null : (actor.agent ?? null),
        action,
        dossierId,
        detail ? JSON.stringify(detail) : null,
      ],
    );
}

export interface AccessQuery {
  since?: Date;
  until?: Date;
  dossierId?: string;
  /** A partner's id or SIRET, an agent's email, or ADMIN. */
  actor?: string;
  action?: string;
  limit: number;
  /** The last entry of the previous page. */
  after?: { at: string; id: string };
}

/** The access audit, newest first, filtered, keyset-paged by (time, id). */
export async function listAccess(em: EntityManager, q: AccessQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (q.since) filter('at >= ?', q.since.toISOString());
  if (q.until) filter('at < ?', q.until.toISOString());
  if (q.dossierId) filter('dossier_id = ?', q.dossierId);
  if (q.actor) filter('(actor = ? or actor_siret = ? or agent = lower(?))', q.actor, q.actor, q.actor);
  if (q.action) filter('action = ?', q.action);
  if (q.after) filter('(at, id) < (?::timestamptz, ?::bigint)', q.after.at, q.after.id);
  params.push(q.limit + 1);
  const rows = await em.getConnection().execute<
    {
      id: string;
      at: Date;
      actor: string;
      actor_siret: string | null;
      agent: string | null;
      action: string;
      dossier_id: string | null;
      detail: unknown;
      at_us: string;
    }[]
  >(
    `select *, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_us from access_audit
      ${where.length ? `where ${where.join(' and ')}` : ''} order by at desc, id desc limit ?`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      actorSiret: r.actor_siret,
      agent: r.agent,
      action: r.action,
      dossierId: r.dossier_id,
      detail: r.detail ?? null,
    })),
    // The cursor keeps the microseconds: entries of the same millisecond are neither skipped nor repeated.
    next: rows.length > q.limit && last ? { at: last.at_us, id: String(last.id) } : null,
  };
}

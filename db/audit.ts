import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';

export type AuditAction = 'DOSSIER_READ' | 'NIR_SEARCH' | 'EXPORT';

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
      'insert into access_audit (actor, actor_siret, action, dossier_id, detail) values (?, ?, ?, ?, ?::jsonb)',
      [
        actor.admin ? 'ADMIN' : actor.partnerId,
        actor.admin ? null : actor.siret,
        action,
        dossierId,
        detail ? JSON.stringify(detail) : null,
      ],
    );
}

export async function listAccess(em: EntityManager, since: Date, limit: number) {
  const rows = await em.getConnection().execute<
    {
      id: string;
      at: Date;
      actor: string;
      actor_siret: string | null;
      action: string;
      dossier_id: string | null;
      detail: unknown;
    }[]
  >('select * from access_audit where at >= ? order by at, id limit ?', [since.toISOString(), limit]);
  return rows.map((r) => ({
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    actorSiret: r.actor_siret,
    action: r.action,
    dossierId: r.dossier_id,
    detail: r.detail ?? null,
  }));
}

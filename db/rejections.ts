import type { EntityManager } from '@mikro-orm/postgresql';
import { Rejection } from './entities';
import { storable } from './storable';

export interface RejectionInput {
  partnerSiret: string;
  dossierId: string | null;
  /** A CEP period's refused event (then dossierId is null). */
  periodeId?: string | null;
  eventId: string | null;
  eventType: string | null;
  code: string;
  message: string;
}

export async function recordRejection(em: EntityManager, r: RejectionInput): Promise<void> {
  em.create(Rejection, {
    partnerSiret: storable(r.partnerSiret),
    dossierId: storable(r.dossierId),
    periodeId: storable(r.periodeId ?? null),
    eventId: storable(r.eventId),
    eventType: storable(r.eventType),
    code: storable(r.code),
    message: storable(r.message),
    at: new Date(),
  });
  await em.flush();
}

/** Where a page of the log starts: after this entry (the last one of the previous page). */
export interface RejectionMark {
  at: Date;
  id: number;
}

/**
 * A partner's refused events since an instant, oldest first (admin: every partner's), a page at a
 * time: `next` marks the last entry served when more follow (entries of one instant are many when
 * a batch is refused, so the instant alone cannot page them).
 */
export async function listRejections(
  em: EntityManager,
  partnerSiret: string | null,
  since: Date,
  limit: number,
  after?: RejectionMark,
) {
  const rows = await em.find(
    Rejection,
    {
      ...(partnerSiret ? { partnerSiret } : {}),
      at: { $gte: since },
      ...(after ? { $or: [{ at: { $gt: after.at } }, { at: after.at, id: { $gt: after.id } }] } : {}),
    },
    { orderBy: { at: 'asc', id: 'asc' }, limit: limit + 1 },
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const items = page.map((r) => ({
    partnerSiret: r.partnerSiret,
    dossierId: r.dossierId ?? null,
    ...(r.periodeId ? { periodeId: r.periodeId } : {}),
    eventId: r.eventId ?? null,
    type: r.eventType ?? null,
    code: r.code,
    message: r.message,
    at: r.at.toISOString(),
  }));
  return { items, next: rows.length > limit && last ? { at: last.at, id: last.id } : null };
}

/** Refused events counted per partner and code since an instant (a partner: its own only). */
export async function countRejections(em: EntityManager, partnerSiret: string | null, since: Date) {
  const rows = await em.getConnection().execute<{ partner_siret: string; code: string; n: string }[]>(
    `select partner_siret, code, count(*) as n from rejections
      where at >= ? ${partnerSiret ? 'and partner_siret = ?' : ''}
      group by partner_siret, code order by partner_siret, code`,
    partnerSiret ? [since.toISOString(), partnerSiret] : [since.toISOString()],
  );
  return rows.map((r) => ({ partnerSiret: r.partner_siret, code: r.code, count: Number(r.n) }));
}

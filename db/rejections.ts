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

/** A partner's refused events since an instant, oldest first (admin: every partner's). */
export async function listRejections(
  em: EntityManager,
  partnerSiret: string | null,
  since: Date,
  limit: number,
) {
  const rows = await em.find(
    Rejection,
    { ...(partnerSiret ? { partnerSiret } : {}), at: { $gte: since } },
    { orderBy: { at: 'asc', id: 'asc' }, limit },
  );
  return rows.map((r) => ({
    partnerSiret: r.partnerSiret,
    dossierId: r.dossierId ?? null,
    ...(r.periodeId ? { periodeId: r.periodeId } : {}),
    eventId: r.eventId ?? null,
    type: r.eventType ?? null,
    code: r.code,
    message: r.message,
    at: r.at.toISOString(),
  }));
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

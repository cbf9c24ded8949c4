import type { EntityManager } from '@mikro-orm/postgresql';
import { Rejection } from './entities';

export interface RejectionInput {
  partnerSiret: string;
  dossierId: string | null;
  eventId: string | null;
  eventType: string | null;
  code: string;
  message: string;
}

export async function recordRejection(em: EntityManager, r: RejectionInput): Promise<void> {
  em.create(Rejection, { ...r, at: new Date() });
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
    eventId: r.eventId ?? null,
    type: r.eventType ?? null,
    code: r.code,
    message: r.message,
    at: r.at.toISOString(),
  }));
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import type { CepFormation, CepListQuery, CepPeriodSummary, CepView } from '../domain/cep-schemas';
import type { CepLinks } from '../domain/cep-view';
import { periodSummary, toCepView } from '../domain/cep-view';
import type { DossierViewT } from '../domain/schemas';
import type { CepRecordData } from './cep-record';
import { decodeCursor, encodeCursor } from './dossier-read-model';

/**
 * The CEP periods' read side (CONTRACT.md, "CEP periods"): lists, a person's periods, and what
 * links a period to others' (the periods continuing it, the dossiers naming its prescriptions),
 * read from the records so that no workflow has to tell another.
 */

export { decodeCursor as decodeCepCursor };

/** The summaries of the periods continuing each of `periodeIds`, oldest first. */
async function followingOf(em: EntityManager, periodeIds: string[]) {
  const rows = await em.getConnection().execute<{ data: CepRecordData }[]>(
    `select data from cep_periodes where data->>'periodePrecedente' = any(array(select jsonb_array_elements_text(?::jsonb)))
       order by created_at, periode_id`,
    [JSON.stringify(periodeIds)],
  );
  const out = new Map<string, CepPeriodSummary[]>();
  for (const { data } of rows) {
    const list = out.get(data.periodePrecedente!) ?? [];
    list.push(periodSummary(data));
    out.set(data.periodePrecedente!, list);
  }
  return out;
}

/** The periods' summaries by id. */
async function summariesOf(em: EntityManager, periodeIds: string[]) {
  if (periodeIds.length === 0) return new Map<string, CepPeriodSummary>();
  const rows = await em
    .getConnection()
    .execute<{ data: CepRecordData }[]>(
      'select data from cep_periodes where periode_id = any(array(select jsonb_array_elements_text(?::jsonb)))',
      [JSON.stringify(periodeIds)],
    );
  return new Map(rows.map(({ data }) => [data.periodeId, periodSummary(data)]));
}

/** The dossiers naming a prescription of each of `periodeIds`: their summaries, oldest first. */
async function formationsOf(em: EntityManager, periodeIds: string[]) {
  const rows = await em.getConnection().execute<{ data: DossierViewT }[]>(
    `select data from dossiers where data->'prescription'->>'periodeId' = any(array(select jsonb_array_elements_text(?::jsonb)))
       order by created_at, dossier_id`,
    [JSON.stringify(periodeIds)],
  );
  const out = new Map<string, CepFormation[]>();
  for (const { data } of rows) {
    const p = data.prescription!;
    const list = out.get(p.periodeId) ?? [];
    list.push({
      dossierId: data.dossierId,
      prescriptionId: p.prescriptionId,
      status: data.status,
      intitule: data.action.intitule,
      dispositif: data.action.dispositif,
      dates: {
        debutPrevue: data.action.dateDebutPrevue,
        finPrevue: data.action.dateFinPrevue,
        entree: data.dates.entree,
        sortie: data.dates.sortie,
      },
    });
    out.set(p.periodeId, list);
  }
  return out;
}

/** What links each period to others' periods and to dossiers, in three statements whatever their number. */
export async function linksOf(
  em: EntityManager,
  periods: readonly { periodeId: string; periodePrecedente: string | null }[],
): Promise<Map<string, CepLinks>> {
  const ids = periods.map((p) => p.periodeId);
  if (ids.length === 0) return new Map();
  const [following, previous, formations] = await Promise.all([
    followingOf(em, ids),
    summariesOf(
      em,
      periods.flatMap((p) => (p.periodePrecedente ? [p.periodePrecedente] : [])),
    ),
    formationsOf(em, ids),
  ]);
  return new Map(
    periods.map((p) => [
      p.periodeId,
      {
        periodePrecedente: p.periodePrecedente ? (previous.get(p.periodePrecedente) ?? null) : null,
        periodesSuivantes: following.get(p.periodeId) ?? [],
        formations: formations.get(p.periodeId) ?? [],
      },
    ]),
  );
}

/** The periods the actor sees (its own; the platform's: all), newest first, keyset-paged. */
export async function listPeriods(
  em: EntityManager,
  actor: Actor,
  q: Omit<CepListQuery, 'cursor'> & { cursor?: { c: string; d: string }; nirHash?: Buffer },
): Promise<{ items: CepView[]; nextCursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  if (!actor.admin) filter('operateur_siret = ?', actor.siret);
  if (q.nirHash) filter('nir_hash = ?', q.nirHash);
  if (q.statut) filter('statut = ?', q.statut);
  if (q.region) filter('region = ?', q.region);
  if (q.cursor) filter('(created_at, periode_id) < (?::timestamptz, ?)', q.cursor.c, q.cursor.d);
  params.push(q.limit + 1);
  const rows = await em
    .getConnection()
    .execute<{ data: CepRecordData; created_at: Date; periode_id: string }[]>(
      `select data, created_at, periode_id from cep_periodes
       ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, periode_id desc limit ?`,
      params,
    );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > q.limit && last
      ? encodeCursor({ c: new Date(last.created_at).toISOString(), d: last.periode_id })
      : null;
  const links = await linksOf(
    em,
    page.map((r) => r.data),
  );
  return {
    items: page.map((r) => toCepView(r.data, links.get(r.data.periodeId)!, { fullNir: false })),
    nextCursor,
  };
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { CertCandidate } from '../domain/certification';
import type { ResultStatut } from '../domain/code-lists';

/**
 * The results certifiers sent (CONTRACT.md, "Certification results"): attached to their dossier,
 * or waiting for it (by the trainee's keyed NIR hash and the certification, an index away). The
 * person's identity is not kept: the hash finds the dossiers, the dossier holds the rest.
 */

/** What a result carries to its dossier (the line without its `titulaire`). */
export interface StoredResult {
  resultatId: string;
  certification: string;
  obtention: 'TOTALE' | 'PARTIELLE';
  blocs: string[];
  dateObtention: string;
  modaliteAcces: 'FORMATION_CONTINUE' | 'APPRENTISSAGE' | 'VAE' | 'CANDIDAT_LIBRE' | 'AUTRE';
}

export interface ResultRow {
  certificateurSiret: string;
  resultatId: string;
  bodyHash: string;
  statut: Exclude<ResultStatut, 'REFUSE'>;
  dossierId: string | null;
  receivedAt: string;
  result: StoredResult;
}

interface Row {
  certificateur_siret: string;
  resultat_id: string;
  body_hash: string;
  statut: Exclude<ResultStatut, 'REFUSE'>;
  dossier_id: string | null;
  received_at: Date;
  result: StoredResult;
}

const fromRow = (r: Row): ResultRow => ({
  certificateurSiret: r.certificateur_siret,
  resultatId: r.resultat_id,
  bodyHash: r.body_hash,
  statut: r.statut,
  dossierId: r.dossier_id,
  receivedAt: new Date(r.received_at).toISOString(),
  result: r.result,
});

const COLUMNS = 'certificateur_siret, resultat_id, body_hash, statut, dossier_id, received_at, result';

/** The result a certifier sent under this id, if any. */
export async function readResult(
  em: EntityManager,
  certificateurSiret: string,
  resultatId: string,
): Promise<ResultRow | null> {
  const rows = await em
    .getConnection()
    .execute<Row[]>(
      `select ${COLUMNS} from certification_results where certificateur_siret = ? and resultat_id = ?`,
      [certificateurSiret, resultatId],
    );
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Keep a result: attached to a dossier, or waiting (with the trainee's NIR hash to be found by). */
export async function saveResult(
  em: EntityManager,
  row: {
    certificateurSiret: string;
    bodyHash: string;
    dossierId: string | null;
    nirHash: Buffer | null;
    result: StoredResult;
    receivedAt: string;
  },
): Promise<void> {
  const statut = row.dossierId === null ? 'NON_RAPPROCHE' : 'RAPPROCHE';
  await em.getConnection().execute(
    `insert into certification_results (certificateur_siret, resultat_id, body_hash, statut, dossier_id,
       certification, date_obtention, nir_hash, result, received_at, attached_at)
     values (?, ?, ?, ?, ?, ?, ?::date, ?, ?::jsonb, ?::timestamptz, case when ? = 'RAPPROCHE' then now() end)
     on conflict (certificateur_siret, resultat_id) do update set
       statut = excluded.statut, dossier_id = excluded.dossier_id, attached_at = excluded.attached_at
     where certification_results.statut = 'NON_RAPPROCHE' and certification_results.body_hash = excluded.body_hash`,
    [
      row.certificateurSiret,
      row.result.resultatId,
      row.bodyHash,
      statut,
      row.dossierId,
      row.result.certification,
      row.result.dateObtention,
      row.nirHash,
      JSON.stringify(row.result),
      row.receivedAt,
      statut,
    ],
  );
}

/**
 * Whether an entry into training of this dossier would find something to act on: certification
 * results waiting for its trainee, or CEP periods of theirs to wake (true when the dossier is not
 * in the record yet).
 */
export async function entryActsOn(em: EntityManager, dossierId: string): Promise<boolean> {
  const [row] = await em.getConnection().execute<{ acts: boolean }[]>(
    `select d.dossier_id is null
         or exists (select 1 from certification_results r
                     where r.nir_hash = d.nir_hash and r.statut = 'NON_RAPPROCHE')
         or exists (select 1 from cep_periodes p where p.nir_hash = d.nir_hash and p.statut = 'CLOSE') as acts
       from (select 1) one left join dossiers d on d.dossier_id = ?`,
    [dossierId],
  );
  return row?.acts !== false;
}

/** The results waiting for a dossier of this trainee (an index look-up, not a scan). */
export async function waitingResults(em: EntityManager, nirHash: Buffer): Promise<ResultRow[]> {
  const rows = await em
    .getConnection()
    .execute<Row[]>(
      `select ${COLUMNS} from certification_results where nir_hash = ? and statut = 'NON_RAPPROCHE' order by received_at`,
      [nirHash],
    );
  return rows.map(fromRow);
}

/**
 * The trainees some of whose waiting results now have a dossier that may take them (entered, of
 * that certification): what a crash between a dossier's change and its attachment left behind.
 */
export async function traineesWithMatchableResults(em: EntityManager, limit: number): Promise<Buffer[]> {
  const rows = await em.getConnection().execute<{ nir_hash: Buffer }[]>(
    `select distinct r.nir_hash from certification_results r
      where r.statut = 'NON_RAPPROCHE' and r.nir_hash is not null
        and exists (select 1 from dossiers d
                     where d.nir_hash = r.nir_hash
                       and d.data->'action'->>'certification' = r.certification
                       and (d.data->'dates'->>'entree')::date <= r.date_obtention)
      limit ?`,
    [limit],
  );
  return rows.map((r) => r.nir_hash);
}

/** A waiting result found its dossier. */
export async function markAttached(
  em: EntityManager,
  certificateurSiret: string,
  resultatId: string,
  dossierId: string,
): Promise<void> {
  await em.getConnection().execute(
    `update certification_results set statut = 'RAPPROCHE', dossier_id = ?, attached_at = now()
      where certificateur_siret = ? and resultat_id = ? and statut = 'NON_RAPPROCHE'`,
    [dossierId, certificateurSiret, resultatId],
  );
}

/** The trainee's dossiers as the matching sees them (domain/certification.ts `matchDossier`). */
export async function certCandidates(em: EntityManager, nirHash: Buffer): Promise<CertCandidate[]> {
  const rows = await em.getConnection().execute<
    {
      dossier_id: string;
      certification: string | null;
      entree: string | null;
      sortie: string | null;
    }[]
  >(
    `select dossier_id, data->'action'->>'certification' as certification,
            data->'dates'->>'entree' as entree, data->'dates'->>'sortie' as sortie
       from dossiers where nir_hash = ?`,
    [nirHash],
  );
  return rows.map((r) => ({
    dossierId: r.dossier_id,
    certification: r.certification,
    entree: r.entree,
    sortie: r.sortie,
  }));
}

/** A certifier's results (all of them for the platform), newest first, keyset-paged. */
export async function listResults(
  em: EntityManager,
  q: {
    certificateurSiret: string | null;
    statut?: Exclude<ResultStatut, 'REFUSE'>;
    limit: number;
    after?: { at: string; id: string };
  },
): Promise<{ items: ResultRow[]; next: { at: string; id: string } | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.certificateurSiret !== null) {
    where.push('certificateur_siret = ?');
    params.push(q.certificateurSiret);
  }
  if (q.statut) {
    where.push('statut = ?');
    params.push(q.statut);
  }
  if (q.after) {
    where.push('(received_at, resultat_id) < (?::timestamptz, ?)');
    params.push(q.after.at, q.after.id);
  }
  params.push(q.limit + 1);
  const rows = await em.getConnection().execute<Row[]>(
    `select ${COLUMNS} from certification_results ${where.length ? `where ${where.join(' and ')}` : ''}
        order by received_at desc, resultat_id desc limit ?`,
    params,
  );
  const items = rows.slice(0, q.limit).map(fromRow);
  const last = items[items.length - 1];
  return { items, next: rows.length > q.limit && last ? { at: last.receivedAt, id: last.resultatId } : null };
}

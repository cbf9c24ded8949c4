import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { storable } from './storable';

/**
 * Partner files in PostgreSQL (migration flux): the file as received, its lines sealed until they
 * have run, each line's answer, and the counters `GET /v1/flux/{fluxId}` reads.
 */

const INSERT_PAGE = 5000;

export interface FluxRow {
  fluxId: string;
  sender: string;
  lignes: number;
  lots: number;
  traitees: number;
  acceptees: number;
  refusees: number;
  /** Timestamps as PostgreSQL writes them (raw queries: not parsed into Dates). */
  debut: string;
  fin: string | null;
}

const ROW = `flux_id as "fluxId", sender, lignes, lots, traitees, acceptees, refusees, debut, fin`;

/** The file, unless it is already there (the same file sent again): true when stored now. */
export async function storeFlux(
  em: EntityManager,
  flux: { fluxId: string; sender: string; actor: Actor; lots: number },
  lines: readonly { ligne: number; lot: number; cle: string; contenu: Buffer }[],
): Promise<boolean> {
  return em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const inserted = await conn.execute<{ flux_id: string }[]>(
      `insert into flux (flux_id, sender, actor, lignes, lots) values (?, ?, ?::jsonb, ?, ?)
       on conflict (flux_id) do nothing returning flux_id`,
      [flux.fluxId, flux.sender, JSON.stringify(flux.actor), lines.length, flux.lots],
    );
    if (inserted.length === 0) return false;
    for (let i = 0; i < lines.length; i += INSERT_PAGE) {
      const page = lines.slice(i, i + INSERT_PAGE);
      await conn.execute(
        `insert into flux_lignes (flux_id, ligne, lot, cle, contenu)
         select ?, x.l, x.t, x.k, decode(x.c, 'base64')
           from jsonb_to_recordset(?::jsonb) as x(l int, t int, k text, c text)`,
        [
          flux.fluxId,
          JSON.stringify(
            page.map((l) => ({ l: l.ligne, t: l.lot, k: storable(l.cle), c: l.contenu.toString('base64') })),
          ),
        ],
      );
    }
    return true;
  });
}

/** A file stored but whose workflow could not be started: gone, so that sending it again works. */
export async function dropFlux(em: EntityManager, fluxId: string): Promise<void> {
  await em.getConnection().execute('delete from flux where flux_id = ? and traitees = 0', [fluxId]);
}

export async function fluxRow(em: EntityManager, fluxId: string): Promise<FluxRow | null> {
  const [row] = await em
    .getConnection()
    .execute<FluxRow[]>(`select ${ROW} from flux where flux_id = ?`, [fluxId]);
  return row ?? null;
}

export async function fluxActor(em: EntityManager, fluxId: string): Promise<Actor | null> {
  const [row] = await em
    .getConnection()
    .execute<{ actor: Actor }[]>('select actor from flux where flux_id = ?', [fluxId]);
  return row?.actor ?? null;
}

/**
 * The next lines of a share still to run, in file order: every line still to run of the dossiers
 * (or periods) of its next `limit` lines, at most ten times `limit` in all, so that a dossier's
 * consecutive lines run together (activities/flux.ts) wherever they are in the file.
 */
export async function pendingLines(
  em: EntityManager,
  fluxId: string,
  lot: number,
  limit: number,
): Promise<{ ligne: number; cle: string; contenu: Buffer }[]> {
  return em.getConnection().execute(
    `select ligne, cle, contenu from flux_lignes
      where flux_id = ? and lot = ? and status is null
        and cle in (select cle from flux_lignes
                     where flux_id = ? and lot = ? and status is null order by ligne limit ?)
      order by ligne limit ?`,
    [fluxId, lot, fluxId, lot, limit, limit * 10],
  );
}

export interface LineAnswer {
  ligne: number;
  status: number;
  code?: string | undefined;
  message?: string | undefined;
  objet?: string | undefined;
}

/**
 * Answers recorded and counted at once (a line's sealed content dropped: it has run). A line
 * answered already (a share run again after a crash) is neither changed nor counted twice.
 */
export async function recordAnswers(em: EntityManager, fluxId: string, answers: readonly LineAnswer[]) {
  if (answers.length === 0) return;
  await em.getConnection().execute(
    `with done as (
       update flux_lignes f set status = x.s, code = x.c, message = x.m, objet = x.o, contenu = null
         from jsonb_to_recordset(?::jsonb) as x(l int, s int, c text, m text, o text)
        where f.flux_id = ? and f.ligne = x.l and f.status is null
       returning x.s
     )
     update flux set traitees = traitees + (select count(*) from done),
       acceptees = acceptees + (select count(*) from done where s < 400),
       refusees = refusees + (select count(*) from done where s >= 400)
      where flux_id = ?`,
    [
      JSON.stringify(
        answers.map((a) => ({
          l: a.ligne,
          s: a.status,
          c: a.code ?? null,
          m: storable(a.message ?? null),
          o: storable(a.objet ?? null),
        })),
      ),
      fluxId,
      fluxId,
    ],
  );
}

export async function finishFlux(em: EntityManager, fluxId: string): Promise<void> {
  await em.getConnection().execute('update flux set fin = coalesce(fin, now()) where flux_id = ?', [fluxId]);
}

/**
 * Delete the files that finished before `finishedBefore`, their lines and answers with them (the
 * foreign key cascades), a few files per statement so that no transaction holds a million rows.
 * Their lines' effects are the dossiers' own records; sent again, such a file runs again and each
 * line answers as a line already received. Returns the files and lines deleted.
 */
export async function purgeFinishedFlux(
  em: EntityManager,
  opts: { finishedBefore: Date; batch?: number; onBatch?: (done: { files: number }) => void },
): Promise<{ files: number; lines: number }> {
  const conn = em.getConnection();
  const done = { files: 0, lines: 0 };
  for (;;) {
    const [row] = await conn.execute<{ files: number; lines: number }[]>(
      `with gone as (
         delete from flux where flux_id in (
           select flux_id from flux where fin < ? order by fin limit ?
         ) returning lignes
       )
       select count(*)::int as files, coalesce(sum(lignes), 0)::int as lines from gone`,
      [opts.finishedBefore, opts.batch ?? 5],
    );
    if (!row || row.files === 0) return done;
    done.files += row.files;
    done.lines += row.lines;
    opts.onBatch?.({ files: done.files });
  }
}

/** A page of a file's answers, in line order, after line `after`. */
export async function fluxAnswers(
  em: EntityManager,
  fluxId: string,
  opts: { statut?: 'ACCEPTE' | 'REFUSE' | undefined; after: number; limit: number },
): Promise<LineAnswer[]> {
  const where =
    opts.statut === 'REFUSE' ? 'and status >= 400' : opts.statut === 'ACCEPTE' ? 'and status < 400' : '';
  const rows = await em
    .getConnection()
    .execute<
      { ligne: number; status: number; code: string | null; message: string | null; objet: string | null }[]
    >(
      `select ligne, status, code, message, objet from flux_lignes
      where flux_id = ? and status is not null ${where} and ligne > ? order by ligne limit ?`,
      [fluxId, opts.after, opts.limit],
    );
  return rows.map((r) => ({
    ligne: r.ligne,
    status: r.status,
    ...(r.code ? { code: r.code } : {}),
    ...(r.message ? { message: r.message } : {}),
    ...(r.objet ? { objet: r.objet } : {}),
  }));
}

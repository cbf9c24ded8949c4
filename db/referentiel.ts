import type { EntityManager } from '@mikro-orm/postgresql';

/** The RNCP/RS referential as loaded by `npx agora referentiel import` (services/referentiel-import.ts). */

export interface Fiche {
  code: string;
  intitule: string;
  niveau: string | null;
  actif: boolean;
  nsf: { code: string; intitule: string }[];
}

/**
 * Whether the referential lists this certifier for this code: `null` when no referential is
 * loaded (then any certifier is accepted, CONTRACT.md).
 */
export async function certifierListed(
  em: EntityManager,
  code: string,
  siret: string,
): Promise<boolean | null> {
  const [row] = await em.getConnection().execute<{ loaded: boolean; listed: boolean }[]>(
    `select exists (select 1 from referentiel_fiches) as loaded,
            exists (select 1 from referentiel_certificateurs where numero_fiche = ? and siret = ?) as listed`,
    [code, siret],
  );
  return row!.loaded ? row!.listed : null;
}

/** The blocks of `blocs` the referential does not list for the code. */
export async function unknownBlocs(
  em: EntityManager,
  code: string,
  blocs: readonly string[],
): Promise<string[]> {
  if (blocs.length === 0) return [];
  const rows = await em
    .getConnection()
    .execute<{ bloc_code: string }[]>(
      'select bloc_code from referentiel_blocs where numero_fiche = ? and bloc_code = any(?::text[])',
      [code, `{${blocs.join(',')}}`],
    );
  const known = new Set(rows.map((r) => r.bloc_code));
  return blocs.filter((b) => !known.has(b));
}

/** The fiches of these codes (absent: not in the referential). */
export async function fichesOf(em: EntityManager, codes: readonly string[]): Promise<Map<string, Fiche>> {
  const wanted = [...new Set(codes)];
  if (wanted.length === 0) return new Map();
  const rows = await em
    .getConnection()
    .execute<{ code: string; intitule: string; niveau: string | null; actif: boolean; nsf: Fiche['nsf'] }[]>(
      `select f.numero_fiche as code, f.intitule, f.niveau, f.actif,
            coalesce((select jsonb_agg(jsonb_build_object('code', n.nsf_code, 'intitule', n.nsf_intitule) order by n.nsf_code)
                        from referentiel_nsf n where n.numero_fiche = f.numero_fiche), '[]'::jsonb) as nsf
       from referentiel_fiches f where f.numero_fiche = any(?::text[])`,
      [`{${wanted.map((c) => `"${c.replace(/["\\]/g, '')}"`).join(',')}}`],
    );
  return new Map(rows.map((r) => [r.code, r]));
}

/** One fiche with its blocks and certifiers; null when the code is not in the referential. */
export async function ficheDetail(
  em: EntityManager,
  code: string,
): Promise<
  | (Fiche & { blocs: { code: string; libelle: string }[]; certificateurs: { siret: string; nom: string }[] })
  | null
> {
  const fiche = (await fichesOf(em, [code])).get(code);
  if (!fiche) return null;
  const conn = em.getConnection();
  const blocs = await conn.execute<{ code: string; libelle: string }[]>(
    'select bloc_code as code, libelle from referentiel_blocs where numero_fiche = ? order by bloc_code',
    [code],
  );
  const certificateurs = await conn.execute<{ siret: string; nom: string }[]>(
    'select siret, nom from referentiel_certificateurs where numero_fiche = ? order by siret',
    [code],
  );
  return { ...fiche, blocs, certificateurs };
}

/** The latest import: its source, counts and time (null: none). */
export async function latestImport(em: EntityManager): Promise<{
  source: string;
  fiches: number;
  blocs: number;
  certificateurs: number;
  nsf: number;
  rejets: number;
  loadedAt: string;
} | null> {
  const [row] = await em.getConnection().execute<
    {
      source: string;
      fiches: number;
      blocs: number;
      certificateurs: number;
      nsf: number;
      rejets: number;
      loaded_at: Date;
    }[]
  >('select source, fiches, blocs, certificateurs, nsf, rejets, loaded_at from referentiel_imports order by id desc limit 1');
  if (!row) return null;
  const { loaded_at, ...rest } = row;
  return { ...rest, loadedAt: new Date(loaded_at).toISOString() };
}

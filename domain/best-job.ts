import { addMonths } from './dates';
import type { Categorie } from './code-lists';
import { categoryOf, categoryRank } from './dsn-codes';

/** One DSN contract line of a person for a month. */
export interface ContractLine {
  siret: string;
  naf: string;
  natureContrat: string;
  dateDebutContrat: string;
  dateFinContrat: string | null;
  heures: number;
}

export interface MeilleurEmploi {
  natureContrat: string;
  categorie: Categorie;
  siretEmployeur: string;
  codeNaf: string;
  heures: number;
  dateDebutContrat: string;
  dateFinContrat: string | null;
  emploiDurable: boolean;
}

export type Employment =
  | { statut: 'EMPLOI'; meilleurEmploi: MeilleurEmploi; multiEmploi: boolean }
  | { statut: 'SANS_EMPLOI'; multiEmploi: false };

/** A durable job: a CDI, or a CDD or interim contract of 6 months or more (unknown end: not durable). */
export function isDurable(categorie: Categorie, dateDebut: string, dateFin: string | null): boolean {
  if (categorie === 'CDI') return true;
  if (categorie !== 'CDD' && categorie !== 'INTERIM') return false;
  return dateFin !== null && dateFin >= addMonths(dateDebut, 6);
}

const tieKey = (l: ContractLine): string =>
  [l.siret, l.natureContrat, l.dateFinContrat ?? '', l.naf].join('|');

/**
 * The best job of a month: by category (CDI > CDD > INTERIM > AUTRE), then more hours, then the
 * latest contract start. Natures that are not a job (internship, mandates, civic service) are ignored.
 */
export function bestJob(lines: readonly ContractLine[]): Employment {
  const jobs = lines
    .map((l) => ({ l, categorie: categoryOf(l.natureContrat) }))
    .filter((j): j is { l: ContractLine; categorie: Categorie } => j.categorie !== null);
  if (jobs.length === 0) return { statut: 'SANS_EMPLOI', multiEmploi: false };
  const sorted = [...jobs].sort(
    (a, b) =>
      categoryRank(a.categorie) - categoryRank(b.categorie) ||
      b.l.heures - a.l.heures ||
      (a.l.dateDebutContrat < b.l.dateDebutContrat
        ? 1
        : a.l.dateDebutContrat > b.l.dateDebutContrat
          ? -1
          : 0) ||
      // Full ties: an order on the whole line, so the same lines give the same answer in any order.
      (tieKey(a.l) < tieKey(b.l) ? -1 : tieKey(a.l) > tieKey(b.l) ? 1 : 0),
  );
  const best = sorted[0]!;
  const distinct = new Set(jobs.map((j) => `${j.l.siret}|${j.l.dateDebutContrat}`));
  return {
    statut: 'EMPLOI',
    multiEmploi: distinct.size > 1,
    meilleurEmploi: {
      natureContrat: best.l.natureContrat,
      categorie: best.categorie,
      siretEmployeur: best.l.siret,
      codeNaf: best.l.naf,
      heures: best.l.heures,
      dateDebutContrat: best.l.dateDebutContrat,
      dateFinContrat: best.l.dateFinContrat,
      emploiDurable: isDurable(best.categorie, best.l.dateDebutContrat, best.l.dateFinContrat),
    },
  };
}

import { CATEGORIES, type Categorie } from './code-lists';

/**
 * Categories of DSN contract natures (rubric S21.G00.40.007), as a versioned code table: a change
 * of the table is a new version, so a situation can say which table ranked it.
 */
export const NATURE_TABLE_VERSION = '2026-1';

const CATEGORY_OF: Record<string, Categorie | null> = {
  '01': 'CDI', // CDI de droit privé
  '07': 'CDI', // CDI intermittent
  '08': 'CDI', // CDI intérimaire
  '09': 'CDI', // CDI de droit public
  '82': 'CDI', // CDI de chantier ou d'opération
  '91': 'CDI', // engagement maritime CDI
  '02': 'CDD', // CDD de droit privé
  '10': 'CDD', // CDD de droit public
  '92': 'CDD', // engagement maritime CDD
  '03': 'INTERIM', // contrat de mission (travail temporaire)
  '29': null, // convention de stage: not a job
  '80': null, // mandat social
  '81': null, // mandat d'élu
  '89': null, // service civique
};

/** The category of a contract nature; null for natures that are not a job. Unknown natures are AUTRE. */
export function categoryOf(natureContrat: string): Categorie | null {
  return natureContrat in CATEGORY_OF ? (CATEGORY_OF[natureContrat] ?? null) : 'AUTRE';
}

/** A category's rank: its place in CATEGORIES, best first. */
export const categoryRank = (c: Categorie): number => CATEGORIES.indexOf(c);

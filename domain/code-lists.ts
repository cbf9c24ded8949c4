/**
 * Every code list of the platform, once, as plain arrays: the zod enums of domain/codes.ts, the
 * search attributes, the SQL and the console's types are built from them. Free of zod, so the
 * workflow bundle can import them (each workflow would otherwise build every schema when it
 * starts or is replayed).
 */

/** Lifecycle states of a dossier (CONTRACT.md). */
export const DOSSIER_STATUSES = ['EN_COURS_ELABORATION', 'VALIDE', 'ENTRE', 'SORTI', 'CLOS'] as const;
export type DossierStatus = (typeof DOSSIER_STATUSES)[number];

export const MOTIFS_SORTIE = ['FIN_FORMATION', 'ABANDON', 'EXCLUSION', 'ACCES_EMPLOI', 'AUTRE'] as const;
export type MotifSortie = (typeof MOTIFS_SORTIE)[number];

export const REALISATIONS = ['TOTALE', 'PARTIELLE', 'NON_REALISEE'] as const;
export type Realisation = (typeof REALISATIONS)[number];

export const ISSUES = ['REALISATION_TOTALE', 'REALISATION_PARTIELLE', 'NON_REALISEE'] as const;
export type Issue = (typeof ISSUES)[number];

/** The partner kinds that fund training: they create dossiers and search by NIR. */
export const FUNDING_KINDS = [
  'REGION',
  'FRANCE_TRAVAIL',
  'OPCO',
  'CDC',
  'TRANSITIONS_PRO',
  'AGEFIPH',
  'ETAT',
] as const;
export type FundingKind = (typeof FUNDING_KINDS)[number];

export const PARTNER_KINDS = [
  ...FUNDING_KINDS,
  'ORGANISME_FORMATION',
  'CEP_OPERATEUR',
  'CERTIFICATEUR',
] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

/** INSEE codes of the 18 current regions. */
export const REGION_CODES = [
  '01',
  '02',
  '03',
  '04',
  '06',
  '11',
  '24',
  '27',
  '28',
  '32',
  '44',
  '52',
  '53',
  '75',
  '76',
  '84',
  '93',
  '94',
] as const;
export type RegionCode = (typeof REGION_CODES)[number];

/** The categories of a job found in the DSN, best first (domain/dsn-codes.ts ranks the natures). */
export const CATEGORIES = ['CDI', 'CDD', 'INTERIM', 'AUTRE'] as const;
export type Categorie = (typeof CATEGORIES)[number];

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
  'REMUNERATEUR',
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

// ---- CEP periods (CONTRACT.md, "CEP periods") ---------------------------------------------------

/** A CEP period's states: level 1 (welcome), level 2 (personalised accompaniment), closed. */
export const CEP_STATUTS = ['OUVERTE', 'ACCOMPAGNEMENT', 'CLOSE'] as const;
export type CepStatut = (typeof CEP_STATUTS)[number];

/** The beneficiary's situation when the period opens. */
export const CEP_SITUATIONS = ['DEMANDEUR_EMPLOI', 'ACTIF_OCCUPE', 'JEUNE_NON_INSERE', 'AUTRE'] as const;

export const CEP_SERVICES = ['ENTRETIEN', 'ATELIER', 'PRESTATION', 'BILAN', 'AUTRE'] as const;
export type CepService = (typeof CEP_SERVICES)[number];

export const CEP_MODALITES = ['PRESENTIEL', 'DISTANCE'] as const;

/** The aim of a level-2 accompaniment. */
export const CEP_OBJECTIFS = [
  'EVOLUTION',
  'INSERTION',
  'COMPETENCES',
  'CERTIFICATION',
  'MOBILITE',
  'RECONVERSION',
  'TRANSITION_PRO',
  'CREATION_ACTIVITE',
] as const;
export type CepObjectif = (typeof CEP_OBJECTIFS)[number];

/** Why a period closed: the operator's motifs, and the platform's own after six silent months. */
export const CEP_MOTIFS_CLOTURE = [
  'PROJET_REALISE',
  'ENTREE_FORMATION',
  'ACCES_EMPLOI',
  'ABANDON',
  'TRANSFERT',
  'AUTRE',
] as const;
export type CepMotifCloture = (typeof CEP_MOTIFS_CLOTURE)[number] | 'SANS_NOUVELLES';

/** The networks of the CEP operators (France Travail runs the CEP as its own kind). */
export const CEP_RESEAUX = ['APEC', 'MISSION_LOCALE', 'CAP_EMPLOI', 'OPERATEUR_REGIONAL'] as const;

// ---- Certification results (CONTRACT.md, "Certification results") -----------------------------

export const CERT_OBTENTIONS = ['TOTALE', 'PARTIELLE'] as const;
export const CERT_MODALITES_ACCES = [
  'FORMATION_CONTINUE',
  'APPRENTISSAGE',
  'VAE',
  'CANDIDAT_LIBRE',
  'AUTRE',
] as const;
/** A dossier's certification: obtained (in full or by blocks), awaited, or unknown 12 months after exit. */
export const CERT_STATUTS = ['OBTENUE_TOTALE', 'OBTENUE_PARTIELLE', 'EN_ATTENTE', 'INCONNUE'] as const;
export type CertStatut = (typeof CERT_STATUTS)[number];
/** What became of a result: attached to its dossier, waiting for one, or refused. */
export const RESULT_STATUTS = ['RAPPROCHE', 'NON_RAPPROCHE', 'REFUSE'] as const;
export type ResultStatut = (typeof RESULT_STATUTS)[number];

// ---- Trainee remuneration (CONTRACT.md, "Trainee remuneration") --------------------------------

export const REMUNERATION_REGIMES = ['AREF', 'RFF', 'RFPE', 'REGIME_PUBLIC', 'AUTRE'] as const;
export type RemunerationRegime = (typeof REMUNERATION_REGIMES)[number];
export const REMUNERATION_MOTIFS_FIN = ['FIN_FORMATION', 'FIN_DROITS', 'ABANDON', 'AUTRE'] as const;
export type RemunerationMotifFin = (typeof REMUNERATION_MOTIFS_FIN)[number];

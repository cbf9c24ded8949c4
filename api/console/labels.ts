/**
 * The field's own words, in French, for every code the console shows: each table covers its whole
 * code list (`satisfies`), so a new code without its label fails `tsc`.
 */
import type {
  CEP_RESEAUX,
  CEP_SITUATIONS,
  Categorie,
  CepMotifCloture,
  CepObjectif,
  CepService,
  CepStatut,
  CertStatut,
  DossierStatus,
  Issue,
  MotifSortie,
  RegionCode,
  RemunerationMotifFin,
  RemunerationRegime,
} from '../../domain/code-lists';
import type { CepPoint } from '../../domain/cep-follow-up';
import type { CepEventType } from '../../domain/cep-schemas';
import type { HistoryType } from '../../domain/schemas';
import type { Point, SituationStatut } from '../../domain/situations';

export const STATUS_LABEL: Record<string, string> = {
  EN_COURS_ELABORATION: "En cours d'élaboration",
  VALIDE: 'Financement validé',
  ENTRE: 'Entré en formation',
  SORTI: 'Sorti de formation',
  CLOS: 'Clôturé',
} satisfies Record<DossierStatus, string>;

export const ISSUE_LABEL: Record<string, string> = {
  REALISATION_TOTALE: 'Réalisation totale',
  REALISATION_PARTIELLE: 'Réalisation partielle',
  NON_REALISEE: 'Non réalisée',
} satisfies Record<Issue, string>;

/** "Clos - Réalisation totale", as the national dashboards say it. */
export function stateLabel(status: string, issue: string | null | undefined): string {
  if (status === 'CLOS' && issue) return `Clos - ${ISSUE_LABEL[issue] ?? issue}`;
  return STATUS_LABEL[status] ?? status;
}

export const EVENT_LABEL: Record<string, string> = {
  CREATION: 'Création du dossier',
  VALIDATION: 'Validation du financement',
  ENTREE: 'Entrée en formation',
  INTERRUPTION: 'Interruption',
  REPRISE: 'Reprise',
  SORTIE: 'Sortie de formation',
  CLOTURE: 'Clôture',
  ANNULATION: 'Annulation',
  RECTIFICATION: 'Rectification',
  REMUNERATION_DEBUT: 'Début de rémunération',
  REMUNERATION_PAIEMENT: 'Paiement de rémunération',
  REMUNERATION_FIN: 'Fin de rémunération',
  CERTIFICATION: 'Résultat de certification',
} satisfies Record<HistoryType, string>;

export const MOTIF_LABEL: Record<string, string> = {
  FIN_FORMATION: 'Fin de formation',
  ABANDON: 'Abandon',
  EXCLUSION: 'Exclusion',
  ACCES_EMPLOI: "Accès à l'emploi",
  AUTRE: 'Autre motif',
} satisfies Record<MotifSortie, string>;

export const POINT_LABEL: Record<string, string> = {
  VALIDATION: 'À la validation',
  ENTREE: "À l'entrée",
  SORTIE: 'À la sortie',
  M3: '3 mois après',
  M6: '6 mois après',
  M12: '12 mois après',
} satisfies Record<Point, string>;

export const SITUATION_LABEL: Record<SituationStatut, string> = {
  EN_ATTENTE: 'En attente',
  EMPLOI: 'En emploi',
  SANS_EMPLOI: 'Sans emploi',
  NON_DISPONIBLE: 'Non disponible',
  SANS_OBJET: 'Sans objet',
};

export const CATEGORY_LABEL: Record<string, string> = {
  CDI: 'CDI',
  CDD: 'CDD',
  INTERIM: 'Intérim',
  AUTRE: 'Autre contrat',
} satisfies Record<Categorie, string>;

export const REGION_LABEL: Record<string, string> = {
  '01': 'Guadeloupe',
  '02': 'Martinique',
  '03': 'Guyane',
  '04': 'La Réunion',
  '06': 'Mayotte',
  '11': 'Île-de-France',
  '24': 'Centre-Val de Loire',
  '27': 'Bourgogne-Franche-Comté',
  '28': 'Normandie',
  '32': 'Hauts-de-France',
  '44': 'Grand Est',
  '52': 'Pays de la Loire',
  '53': 'Bretagne',
  '75': 'Nouvelle-Aquitaine',
  '76': 'Occitanie',
  '84': 'Auvergne-Rhône-Alpes',
  '93': "Provence-Alpes-Côte d'Azur",
  '94': 'Corse',
} satisfies Record<RegionCode, string>;

export const FIELD_LABEL: Record<string, string> = {
  dates: 'Dates',
  creation: 'création',
  validation: 'validation',
  entree: 'entrée',
  sortie: 'sortie',
  cloture: 'clôture',
  stagiaire: 'Stagiaire',
  nom: 'nom',
  prenom: 'prénom',
  dateNaissance: 'date de naissance',
  organisme: 'Organisme',
  raisonSociale: 'raison sociale',
  action: 'Action',
  financements: 'Financements',
  motif: 'motif',
  heuresRealisees: 'heures réalisées',
  remunerateurSiret: 'Rémunérateur (SIRET)',
  intitule: 'intitulé',
  dispositif: 'dispositif',
  objectif: 'objectif',
  certification: 'certification visée',
  nsf: 'domaine (NSF)',
  region: 'région',
  departement: 'département',
  qpv: 'quartier prioritaire',
  dateDebutPrevue: 'début prévu',
  dateFinPrevue: 'fin prévue',
  dureeHeures: 'durée prévue (heures)',
  montantEngage: 'montant engagé',
  montantRealise: 'montant réalisé',
  financeurSiret: 'financeur (SIRET)',
  siret: 'SIRET',
};

export const CERT_STATUT_LABEL: Record<string, string> = {
  OBTENUE_TOTALE: 'Obtenue',
  OBTENUE_PARTIELLE: 'Obtenue en partie (blocs)',
  EN_ATTENTE: 'En attente de résultat',
  INCONNUE: 'Inconnue (aucun résultat 12 mois après la sortie)',
} satisfies Record<CertStatut, string>;

export const REGIME_LABEL: Record<string, string> = {
  AREF: 'AREF (allocation chômage en formation)',
  RFF: 'RFF (rémunération de fin de formation)',
  RFPE: 'RFPE (rémunération des stagiaires)',
  REGIME_PUBLIC: 'Régime public',
  AUTRE: 'Autre régime',
} satisfies Record<RemunerationRegime, string>;

export const PAY_END_LABEL: Record<string, string> = {
  FIN_FORMATION: 'fin de formation',
  FIN_DROITS: 'fin de droits',
  ABANDON: 'abandon',
  AUTRE: 'autre motif',
} satisfies Record<RemunerationMotifFin, string>;

const dateFmt = new Intl.DateTimeFormat('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric' });
const instantFmt = new Intl.DateTimeFormat('fr-FR', {
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/Paris',
});
const euroFmt = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const pctFmt = new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 });

/** 2026-01-20 -> 20/01/2026; anything else as it is. */
export const frDate = (d: string | null | undefined) =>
  d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? dateFmt.format(new Date(`${d}T12:00:00Z`)) : (d ?? '—');
export const frInstant = (d: string) => instantFmt.format(new Date(d));
export const euros = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : euroFmt.format(n);
export const percent = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : pctFmt.format(n);
export const frMonth = (m: string | null) => {
  if (!m) return '—';
  const [y, mo] = m.split('-');
  return `${mo}/${y}`;
};

/** The regional file's columns (db/insertion-export.ts), in words. */
export const INSERTION_COLUMN_LABEL: Record<string, string> = {
  dossier_id: 'N° de dossier',
  stagiaire_pseudo: 'Pseudonyme du stagiaire (stable dans la région)',
  region: 'Région',
  departement: 'Département',
  dispositif: 'Dispositif',
  organisme_siret: "SIRET de l'organisme de formation",
  date_entree: "Date d'entrée en formation",
  date_sortie: 'Date de sortie de formation',
  motif_sortie: 'Motif de sortie',
  statut: 'État du dossier',
  issue: 'Issue',
  situation_validation: 'Situation à la validation',
  situation_entree: "Situation à l'entrée",
  situation_sortie: 'Situation à la sortie',
  situation_3m: 'Situation 3 mois après la sortie',
  situation_6m: 'Situation 6 mois après la sortie',
  situation_12m: 'Situation 12 mois après la sortie',
  multi_emploi_3m: 'Plusieurs employeurs 3 mois après',
  multi_emploi_6m: 'Plusieurs employeurs 6 mois après',
  multi_emploi_12m: 'Plusieurs employeurs 12 mois après',
};

// ---- CEP periods ------------------------------------------------------------------------------

export const CEP_STATUT_LABEL: Record<string, string> = {
  OUVERTE: 'Ouverte (accueil individualisé)',
  ACCOMPAGNEMENT: 'Accompagnement personnalisé',
  CLOSE: 'Close',
} satisfies Record<CepStatut, string>;

export const CEP_EVENT_LABEL: Record<string, string> = {
  CREATION: 'Ouverture de la période',
  SERVICE: 'Service rendu',
  ACCOMPAGNEMENT: 'Entrée en accompagnement personnalisé',
  PRESCRIPTION: 'Prescription de formation',
  CLOTURE: 'Clôture',
  RECTIFICATION: 'Rectification',
} satisfies Record<CepEventType | 'CREATION', string>;

export const CEP_SERVICE_LABEL: Record<string, string> = {
  ENTRETIEN: 'Entretien',
  ATELIER: 'Atelier',
  PRESTATION: 'Prestation',
  BILAN: 'Bilan',
  AUTRE: 'Autre service',
} satisfies Record<CepService, string>;

export const CEP_SITUATION_LABEL: Record<string, string> = {
  DEMANDEUR_EMPLOI: "Demandeur d'emploi",
  ACTIF_OCCUPE: 'Actif occupé',
  JEUNE_NON_INSERE: 'Jeune non inséré',
  AUTRE: 'Autre situation',
} satisfies Record<(typeof CEP_SITUATIONS)[number], string>;

export const CEP_OBJECTIF_LABEL: Record<string, string> = {
  EVOLUTION: 'Évolution professionnelle',
  INSERTION: 'Insertion',
  COMPETENCES: 'Développement des compétences',
  CERTIFICATION: 'Certification',
  MOBILITE: 'Mobilité',
  RECONVERSION: 'Reconversion',
  TRANSITION_PRO: 'Transition professionnelle',
  CREATION_ACTIVITE: "Création d'activité",
} satisfies Record<CepObjectif, string>;

export const CEP_MOTIF_LABEL: Record<string, string> = {
  PROJET_REALISE: 'Projet réalisé',
  ENTREE_FORMATION: 'Entrée en formation',
  ACCES_EMPLOI: "Accès à l'emploi",
  ABANDON: 'Abandon',
  TRANSFERT: 'Transfert à un autre opérateur',
  AUTRE: 'Autre motif',
  SANS_NOUVELLES: 'Sans nouvelles depuis 6 mois',
} satisfies Record<CepMotifCloture, string>;

export const CEP_RESEAU_LABEL: Record<string, string> = {
  APEC: 'Apec',
  MISSION_LOCALE: 'Missions locales',
  CAP_EMPLOI: 'Cap emploi',
  OPERATEUR_REGIONAL: 'Opérateurs régionaux',
  FRANCE_TRAVAIL: 'France Travail',
} satisfies Record<(typeof CEP_RESEAUX)[number] | 'FRANCE_TRAVAIL', string>;

export const CEP_POINT_LABEL: Record<string, string> = {
  FERMETURE: 'À la clôture',
  M6: '6 mois après',
  M12: '12 mois après',
} satisfies Record<CepPoint, string>;

/** The list's filters, as the console's form names them. */
const FILTER_LABEL: Record<string, string> = {
  status: 'État',
  issue: 'Issue',
  dispositif: 'Dispositif',
  region: 'Région',
  organisme: 'Organisme (SIRET)',
  financeur: 'Financeur (SIRET)',
  createdFrom: 'Reçu depuis le',
  createdTo: "Reçu jusqu'au",
  entreeFrom: 'Entrée en formation du',
  entreeTo: 'Entrée en formation au',
  sortieFrom: 'Sortie du',
  sortieTo: 'Sortie au',
  idPrefix: 'N° de dossier',
  nom: 'Nom',
  nir: 'NIR',
  cursor: 'page',
  limit: 'nombre par page',
};

/** An API refusal of the list's filters, in French: which fields to correct. */
export function frError(error: { message?: string; details?: { path?: string }[] } | undefined): string {
  const fields = [
    ...new Set(
      (error?.details ?? [])
        .map((d) => d.path?.split('.').pop() ?? '')
        .map((f) => FILTER_LABEL[f])
        .filter((f): f is string => f !== undefined),
    ),
  ];
  return fields.length > 0
    ? `vérifiez ${fields.length > 1 ? 'les champs' : 'le champ'} ${fields.map((f) => `« ${f} »`).join(', ')}.`
    : 'vérifiez les filtres saisis.';
}

/** The action's objective: the usual codes in words, any other as written. */
export const OBJECTIF_CODES = [
  'CERTIFIANTE',
  'QUALIFIANTE',
  'PRE_QUALIFIANTE',
  'PROFESSIONNALISANTE',
  'REMISE_A_NIVEAU',
  'CREATION_ENTREPRISE',
  'MOBILISATION',
  'PERFECTIONNEMENT',
] as const;
const OBJECTIF_LABEL: Record<string, string> = {
  CERTIFIANTE: 'Certifiante',
  QUALIFIANTE: 'Qualifiante',
  PRE_QUALIFIANTE: 'Pré-qualifiante',
  PROFESSIONNALISANTE: 'Professionnalisante',
  REMISE_A_NIVEAU: 'Remise à niveau',
  CREATION_ENTREPRISE: "Création d'entreprise",
  MOBILISATION: 'Mobilisation',
  PERFECTIONNEMENT: 'Perfectionnement',
} satisfies Record<(typeof OBJECTIF_CODES)[number], string>;
export const objectifLabel = (code: string) =>
  OBJECTIF_LABEL[code] ?? code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ');

/** The NAF sections (INSEE): a code's two-digit division to its sector, in words. */
const NAF_SECTIONS: [number, number, string][] = [
  [1, 3, 'Agriculture, sylviculture et pêche'],
  [5, 9, 'Industries extractives'],
  [10, 33, 'Industrie manufacturière'],
  [35, 35, 'Énergie'],
  [36, 39, 'Eau, assainissement, déchets'],
  [41, 43, 'Construction'],
  [45, 47, 'Commerce'],
  [49, 53, 'Transports et entreposage'],
  [55, 56, 'Hébergement et restauration'],
  [58, 63, 'Information et communication'],
  [64, 66, 'Finance et assurance'],
  [68, 68, 'Immobilier'],
  [69, 75, 'Activités spécialisées, scientifiques et techniques'],
  [77, 82, 'Services administratifs et de soutien'],
  [84, 84, 'Administration publique'],
  [85, 85, 'Enseignement'],
  [86, 88, 'Santé humaine et action sociale'],
  [90, 93, 'Arts, spectacles et loisirs'],
  [94, 96, 'Autres activités de services'],
  [97, 98, 'Ménages employeurs'],
  [99, 99, 'Activités extra-territoriales'],
];
export function nafSector(code: string | undefined): string | null {
  const division = Number(code?.slice(0, 2));
  if (!Number.isInteger(division)) return null;
  return NAF_SECTIONS.find(([from, to]) => division >= from && division <= to)?.[2] ?? null;
}

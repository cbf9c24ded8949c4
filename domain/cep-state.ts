import type { CepMotifCloture, CepObjectif, CepService, CepStatut } from './code-lists';
import { CEP_SERVICES } from './code-lists';
import type { Beneficiaire, OpenPeriodBody } from './cep-schemas';
import type { CepPoint, FormationEntry } from './cep-follow-up';
import { initialSuivi } from './cep-follow-up';
import type { SituationState } from './situations';

/** A prescription of a training, and whether a dossier followed it. */
export interface Prescription {
  prescriptionId: string;
  intitule: string;
  certification?: string;
  dispositif?: string;
  date: string;
  statut: 'EMISE' | 'SUIVIE';
}

/** The full state a CEP period's workflow holds (personal data included: never in search attributes). */
export interface CepState {
  periodeId: string;
  statut: CepStatut;
  /** 1: the individual welcome; 2: a personalised accompaniment (the period reached ACCOMPAGNEMENT). */
  niveau: 1 | 2;
  beneficiaire: Beneficiaire;
  situation: OpenPeriodBody['situation'];
  region: string;
  departement: string | null;
  /** The operator's SIRET: the one partner that sees and acts on the period. */
  operateurSiret: string;
  dates: {
    ouverture: string;
    accompagnement: string | null;
    cloture: string | null;
    /** The business date of the latest event: six months after it, the period closes by itself. */
    dernierEvenement: string;
  };
  objectif: CepObjectif | null;
  motifCloture: CepMotifCloture | null;
  /** Services given, counted by type. */
  services: Record<CepService, number>;
  prescriptions: Prescription[];
  /** The period this one continues (another operator's); those continuing it are found in the record. */
  periodePrecedente: string | null;
  /** The follow-up after closure: the DSN situation at FERMETURE, M6 and M12 (domain/cep-follow-up.ts). */
  suivi: SituationState<CepPoint>[];
  /** The training dossiers the person entered, found by the NIR's keyed hash. */
  entreesFormation: FormationEntry[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function createCepState(body: OpenPeriodBody, operateurSiret: string, receivedAt: string): CepState {
  return {
    periodeId: body.periodeId,
    statut: 'OUVERTE',
    niveau: 1,
    beneficiaire: body.beneficiaire,
    situation: body.situation,
    region: body.region,
    departement: body.departement ?? null,
    operateurSiret,
    dates: { ouverture: body.date, accompagnement: null, cloture: null, dernierEvenement: body.date },
    objectif: null,
    motifCloture: null,
    services: Object.fromEntries(CEP_SERVICES.map((s) => [s, 0])) as Record<CepService, number>,
    prescriptions: [],
    periodePrecedente: body.periodePrecedente ?? null,
    suivi: initialSuivi(),
    entreesFormation: [],
    version: 1,
    createdAt: receivedAt,
    updatedAt: receivedAt,
  };
}

import type { DossierStatus, Issue, MotifSortie } from './code-lists';
import type {
  Action,
  CreateDossierBody,
  DossierDates,
  Financement,
  Interruption,
  Organisme,
  Stagiaire,
} from './schemas';
import { maxDate } from './dates';
import type { SituationState } from './situations';
import { initialSituations } from './situations';
import type { DossierCertification } from './certification';
import { settleCertification } from './certification';
import type { Remuneration } from './remuneration';

/** The full state a dossier workflow holds (personal data included: never put it in search attributes). */
export interface DossierState {
  dossierId: string;
  status: DossierStatus;
  interrompu: boolean;
  issue: Issue | null;
  stagiaire: Stagiaire;
  organisme: Organisme;
  action: Action;
  financements: Financement[];
  dates: DossierDates;
  interruptions: Interruption[];
  sortie: { motif: MotifSortie; heuresRealisees?: number } | null;
  /** The employment follow-up: six points, in POINTS order. */
  situations: SituationState[];
  /** The CEP prescription the dossier came from, with the period's operator (checked at creation). */
  prescription?: { periodeId: string; prescriptionId: string; operateurSiret: string };
  /** Who pays the trainee during the training (a REMUNERATEUR or FRANCE_TRAVAIL partner). */
  remunerateurSiret?: string;
  /** The certification the action aims at, or the result a certifier reported (domain/certification.ts). */
  certification: DossierCertification | null;
  /** The periods of pay its remunerator reported (domain/remuneration.ts). */
  remunerations: Remuneration[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** Who may see or act on a dossier: derived from its state. */
export interface DossierParties {
  organismeSiret: string;
  financeurSirets: string[];
  region: string;
  /** Who pays the trainee: it sees the dossier (not the amounts funded) and sends the pay events. */
  remunerateurSiret: string | null;
}

export function partiesOf(state: DossierState): DossierParties {
  return {
    organismeSiret: state.organisme.siret,
    financeurSirets: state.financements.map((f) => f.financeurSiret),
    region: state.action.region,
    remunerateurSiret: state.remunerateurSiret ?? null,
  };
}

export function createState(
  body: CreateDossierBody,
  receivedAt: string,
  prescriptionOperateur?: string,
): DossierState {
  const { prescription } = body;
  return {
    dossierId: body.dossierId,
    status: 'EN_COURS_ELABORATION',
    interrompu: false,
    issue: null,
    stagiaire: body.stagiaire,
    organisme: body.organisme,
    action: body.action,
    financements: body.financements,
    dates: { creation: body.date, validation: null, entree: null, sortie: null, cloture: null },
    interruptions: [],
    sortie: null,
    situations: initialSituations(),
    ...(prescription && prescriptionOperateur
      ? { prescription: { ...prescription, operateurSiret: prescriptionOperateur } }
      : {}),
    ...(body.remunerateurSiret ? { remunerateurSiret: body.remunerateurSiret } : {}),
    certification: settleCertification(
      null,
      { certification: body.action.certification ?? null, sortie: null },
      body.date,
    ),
    remunerations: [],
    version: 1,
    createdAt: receivedAt,
    updatedAt: receivedAt,
  };
}

/** The latest business date the dossier has recorded: no later event may be dated before it. */
export function lastBusinessDate(state: DossierState): string {
  const { creation, validation, entree, sortie, cloture } = state.dates;
  const interruptionDates = state.interruptions.flatMap((i) => [i.date, i.reprise]);
  return maxDate(creation, validation, entree, sortie, cloture, ...interruptionDates) ?? creation;
}

import type { CepFormation, CepPeriodSummary, CepSuiviPoint, CepView } from './cep-schemas';
import { cepPlan, entriesBy } from './cep-follow-up';
import { employmentView } from './dossier-view';
import type { CepState } from './cep-state';
import { maskNir } from './nir';

/** What a period's view reads beside its own state: the periods and dossiers linked to it. */
export interface CepLinks {
  periodePrecedente: CepPeriodSummary | null;
  periodesSuivantes: CepPeriodSummary[];
  formations: CepFormation[];
}

export const NO_LINKS: CepLinks = { periodePrecedente: null, periodesSuivantes: [], formations: [] };

/** The follow-up's points as the operator reads them: the DSN situation and the entry into training. */
export function suiviView(state: Pick<CepState, 'suivi' | 'entreesFormation' | 'dates'>): CepSuiviPoint[] {
  const plan = cepPlan(state.dates);
  return state.suivi.map((s) => {
    const date = plan.due(s.point);
    const entries = entriesBy(state.entreesFormation, state.dates.ouverture, date);
    const shown = entries.find((e) => e.visible);
    return {
      point: s.point,
      date,
      mois: s.mois,
      emploi: employmentView(s, false),
      formation: entries.length > 0,
      ...(shown ? { dossierId: shown.dossierId } : {}),
    };
  });
}

/** A period as another operator sees it when the two are linked (CONTRACT.md). */
export function periodSummary(state: Omit<CepState, 'beneficiaire'>): CepPeriodSummary {
  return {
    periodeId: state.periodeId,
    operateurSiret: state.operateurSiret,
    statut: state.statut,
    niveau: state.niveau,
    dates: { ouverture: state.dates.ouverture, cloture: state.dates.cloture },
  };
}

/**
 * A period as the API serves it: the full NIR on its operator's own read only, a prescription
 * `SUIVIE` once a dossier names it. The person's NIR is absent when the state comes from the
 * record without it (lists: `nir` undefined).
 */
export function toCepView(
  state: Omit<CepState, 'beneficiaire'> & {
    beneficiaire: Omit<CepState['beneficiaire'], 'nir'> & { nir?: string; nirMasque?: string };
  },
  links: CepLinks,
  opts: { fullNir: boolean },
): CepView {
  const { nir, nirMasque, ...person } = state.beneficiaire;
  const followed = new Set(links.formations.map((f) => f.prescriptionId));
  return {
    periodeId: state.periodeId,
    statut: state.statut,
    niveau: state.niveau,
    operateurSiret: state.operateurSiret,
    beneficiaire: {
      ...(opts.fullNir && nir !== undefined ? { nir } : {}),
      nirMasque: nirMasque ?? (nir === undefined ? '' : maskNir(nir)),
      nom: person.nom,
      prenom: person.prenom,
      dateNaissance: person.dateNaissance,
    },
    situation: state.situation,
    region: state.region,
    departement: state.departement,
    dates: { ...state.dates },
    objectif: state.objectif,
    motifCloture: state.motifCloture,
    services: { ...state.services },
    prescriptions: state.prescriptions.map((p) => ({
      ...p,
      statut: followed.has(p.prescriptionId) ? 'SUIVIE' : p.statut,
    })),
    formations: links.formations,
    suivi: suiviView(state),
    periodePrecedente: links.periodePrecedente,
    periodesSuivantes: links.periodesSuivantes,
    version: state.version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}

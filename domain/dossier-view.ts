import type { DossierState } from './dossier-state';
import { maskNir } from './nir';
import { DossierView, type DossierViewT } from './schemas';
import type { SituationState } from './situations';

/**
 * The view's fields only, in the contract's order (DossierView's): whether the dossier is served
 * from its workflow or from its record, the answer reads the same, and a field the state holds
 * for itself never shows.
 */
const VIEW_KEYS = Object.keys(DossierView.shape);
const inViewOrder = (view: DossierViewT): DossierViewT =>
  Object.fromEntries(
    VIEW_KEYS.filter((k) => k in view).map((k) => [k, view[k as keyof DossierViewT]]),
  ) as DossierViewT;

type SituationView = DossierViewT['situations'][number];

/** A situation as the contract shows it; employer details only for the privileged. */
export function situationView(s: SituationState, privileged: boolean): SituationView {
  return { point: s.point, mois: s.mois, ...employmentView(s, privileged) };
}

/** What a point found in the DSN (a dossier's situation, a CEP period's `emploi`). */
export function employmentView(
  s: SituationState<string>,
  privileged: boolean,
): Omit<SituationView, 'point' | 'mois'> {
  const out: Omit<SituationView, 'point' | 'mois'> = { statut: s.statut };
  if (s.statut === 'EMPLOI' && s.meilleurEmploi) {
    const m = s.meilleurEmploi;
    out.meilleurEmploi = {
      natureContrat: m.natureContrat,
      categorie: m.categorie,
      ...(privileged ? { siretEmployeur: m.siretEmployeur, codeNaf: m.codeNaf } : {}),
      heures: m.heures,
      dateDebutContrat: m.dateDebutContrat,
      ...(privileged ? { dateFinContrat: m.dateFinContrat } : {}),
      emploiDurable: m.emploiDurable,
    };
  }
  if (s.statut === 'EMPLOI' || s.statut === 'SANS_EMPLOI') out.multiEmploi = s.multiEmploi ?? false;
  return out;
}

/**
 * The dossier as the API serves it. `privileged` (the dossier's financeurs and the platform) gets
 * the full NIR and the employers' details; everyone else the masked NIR. `payOnly` (the
 * remunerator, which sees the dossier only to pay the trainee): identity, action, dates and pay;
 * the financeurs without the amounts, and no employment situations (CONTRACT.md).
 */
export function toView(state: DossierState, opts: { fullNir: boolean; payOnly?: boolean }): DossierViewT {
  // Every field as the state holds it (a new one shows without a line here), the filtered ones.
  const { nir, ...person } = state.stagiaire;
  const view: DossierViewT = {
    ...state,
    stagiaire: { ...(opts.fullNir ? { nir } : {}), nirMasque: maskNir(nir), ...person },
    financements: opts.payOnly
      ? state.financements.map((f) => ({ financeurSiret: f.financeurSiret }))
      : state.financements,
    situations: opts.payOnly ? [] : (state.situations ?? []).map((s) => situationView(s, opts.fullNir)),
    certification: state.certification ?? null,
    remunerations: state.remunerations ?? [],
  };
  return inViewOrder(view);
}

/**
 * The dossier as its record keeps it (the read model, PostgreSQL): all a privileged view shows
 * but the NIR, which is kept apart, sealed. Read back with `stateOfRecord`.
 */
export function toRecord(state: DossierState): DossierViewT {
  const view = toView(state, { fullNir: true });
  const { nir: _nir, ...stagiaire } = view.stagiaire;
  return { ...view, stagiaire };
}

/** The dossier's state from its record and its NIR: `toView` of it answers as the workflow's state did. */
export function stateOfRecord(record: DossierViewT, nir: string): DossierState {
  const { nir: _nir, nirMasque: _masked, ...person } = record.stagiaire;
  return {
    ...record,
    stagiaire: { nir, ...person },
    // The record keeps every amount (toRecord's view is the privileged one).
    financements: record.financements as DossierState['financements'],
    situations: record.situations as SituationState[],
    // Records written before the certification and the pay were kept: none of either.
    certification: (record.certification ?? null) as DossierState['certification'],
    remunerations: record.remunerations ?? [],
  };
}

/**
 * A record as the list shows it to everyone: masked NIR, no employer details; to a remunerator
 * (`payOnly`), without the amounts nor the situations.
 */
export function publicView(record: DossierViewT, opts: { payOnly?: boolean } = {}): DossierViewT {
  const { nir: _nir, ...stagiaire } = record.stagiaire;
  return inViewOrder({
    ...record,
    certification: record.certification ?? null,
    remunerations: record.remunerations ?? [],
    ...(opts.payOnly
      ? { financements: record.financements.map((f) => ({ financeurSiret: f.financeurSiret })) }
      : {}),
    stagiaire,
    situations: opts.payOnly
      ? []
      : (record.situations ?? []).map((s) => situationView(s as SituationState, false)),
  });
}

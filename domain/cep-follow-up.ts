import { addMonths } from './dates';
import type { FollowUpPlan, SituationState } from './situations';
import { HORIZON_MONTHS } from './situations';

/**
 * A CEP period's follow-up after closure (CONTRACT.md, "CEP periods"): three points, at the
 * closure and six and twelve months after, each with the DSN situation of its month by the
 * dossiers' rule (domain/situations.ts) and whether the person entered a training by then.
 */
export const CEP_POINTS = ['FERMETURE', 'M6', 'M12'] as const;
export type CepPoint = (typeof CEP_POINTS)[number];

const MONTHS_AFTER: Record<CepPoint, number> = { FERMETURE: 0, M6: 6, M12: 12 };

/** The points fall due on the closure date, + 6 and + 12 months; a missing month is waited for 24 months. */
export function cepPlan(dates: { cloture: string | null }): FollowUpPlan<CepPoint> {
  const { cloture } = dates;
  return {
    due: (p) => (cloture === null ? null : addMonths(cloture, MONTHS_AFTER[p])),
    horizon: cloture === null ? null : addMonths(cloture, HORIZON_MONTHS),
    ended: cloture !== null,
  };
}

export function initialSuivi(): SituationState<CepPoint>[] {
  return CEP_POINTS.map((point) => ({ point, mois: null, statut: 'EN_ATTENTE' }));
}

/** A training dossier the person entered (found by the NIR's keyed hash, among every dossier). */
export interface FormationEntry {
  dossierId: string;
  /** Its entry date. */
  entree: string;
  /** Whether the period's operator may see the dossier (a party to it, or its prescriber). */
  visible: boolean;
}

/** At most this many entries are kept: a person enters few trainings, and the first ones decide. */
export const MAX_ENTRIES = 20;

/** The entries that count for a point: dated between the period's opening and the point's date. */
export function entriesBy(
  entries: readonly FormationEntry[],
  ouverture: string,
  date: string | null,
): FormationEntry[] {
  if (date === null) return [];
  return entries.filter((e) => e.entree >= ouverture && e.entree <= date);
}

/** Whether an operator sees a dossier: a party to it (financeur, organisme), or the operator of its prescription. */
export function operatorSeesDossier(
  operateurSiret: string,
  dossier: {
    financeurSirets: readonly string[];
    organismeSiret: string;
    prescriptionOperateur: string | null;
  },
): boolean {
  return (
    dossier.financeurSirets.includes(operateurSiret) ||
    dossier.organismeSiret === operateurSiret ||
    dossier.prescriptionOperateur === operateurSiret
  );
}

import type { ContractLine, MeilleurEmploi } from './best-job';
import { bestJob } from './best-job';
import { addDays, addMonths, monthOf } from './dates';
import type { DossierDates } from './schemas';

/** The six points of the employment follow-up. */
export const POINTS = ['VALIDATION', 'ENTREE', 'SORTIE', 'M3', 'M6', 'M12'] as const;
export type Point = (typeof POINTS)[number];
export type SituationStatut = 'EN_ATTENTE' | 'EMPLOI' | 'SANS_EMPLOI' | 'NON_DISPONIBLE';

export interface SituationState {
  point: Point;
  /** Reference month `YYYY-MM`; null while the anchor date is unknown. */
  mois: string | null;
  statut: SituationStatut;
  meilleurEmploi?: MeilleurEmploi;
  multiEmploi?: boolean;
  /** The version of the DSN month load that gave this situation. */
  monthVersion?: number;
  /** The day of the last look-up; absent: a look-up is owed as soon as the point is due. */
  checkedOn?: string;
}

/** A month's DSN lines for the person, or null when the month is not loaded. */
export type MonthLookup = { version: number; lines: ContractLine[] } | null;

const MONTHS_AFTER: Partial<Record<Point, number>> = { M3: 3, M6: 6, M12: 12 };
/** DSN data may serve up to 24 months after exit; past that a missing month is NON_DISPONIBLE. */
export const HORIZON_MONTHS = 24;
/**
 * Runs started before the central re-check (the `dsn-recheck` Schedule, which signals again the
 * dossiers still waiting on a loaded month) look again this often even without a signal.
 */
export const RECHECK_DAYS = 7;

function anchor(point: Point, dates: DossierDates): string | null {
  if (point === 'VALIDATION') return dates.validation;
  if (point === 'ENTREE') return dates.entree;
  return dates.sortie;
}

/**
 * The month whose DSN an event makes owed at once: the month of a validation, entry or exit date
 * (the 3/6/12-month points fall due later). Empty for the other events.
 */
export function monthsOwedBy(event: { type: string; date: string }): string[] {
  return ['VALIDATION', 'ENTREE', 'SORTIE'].includes(event.type) ? [monthOf(event.date)] : [];
}

/** The day the point becomes due: its anchor date, or the exit date plus n calendar months. */
export function dueDate(point: Point, dates: DossierDates): string | null {
  const a = anchor(point, dates);
  if (a === null) return null;
  const n = MONTHS_AFTER[point];
  return n === undefined ? a : addMonths(a, n);
}

export function referenceMonth(point: Point, dates: DossierDates): string | null {
  const d = dueDate(point, dates);
  return d === null ? null : monthOf(d);
}

/**
 * After this day a month still missing makes the point NON_DISPONIBLE: exit + 24 months, or
 * closure + 24 months for a dossier closed without an exit.
 */
export function horizon(dates: DossierDates): string | null {
  const end = dates.sortie ?? dates.cloture;
  return end === null ? null : addMonths(end, HORIZON_MONTHS);
}

export function initialSituations(): SituationState[] {
  return POINTS.map((point) => ({ point, mois: null, statut: 'EN_ATTENTE' }));
}

/** Align the points with the dossier's dates: a point whose reference month moved starts again. */
export function reconcile(situations: readonly SituationState[], dates: DossierDates): SituationState[] {
  return situations.map((s) => {
    const mois = referenceMonth(s.point, dates);
    return mois === s.mois ? s : { point: s.point, mois, statut: 'EN_ATTENTE' };
  });
}

const isDue = (s: SituationState, dates: DossierDates, today: string): boolean => {
  const d = dueDate(s.point, dates);
  return d !== null && d <= today;
};

/** The points owed a look-up today. */
export function pendingPoints(
  situations: readonly SituationState[],
  dates: DossierDates,
  today: string,
): Point[] {
  return situations
    .filter((s) => s.checkedOn === undefined && s.statut !== 'NON_DISPONIBLE' && isDue(s, dates, today))
    .map((s) => s.point);
}

/** Record the look-up of the given points with the months found (null: month not loaded). */
export function applyLookups(
  situations: readonly SituationState[],
  points: readonly Point[],
  months: Readonly<Record<string, MonthLookup>>,
  dates: DossierDates,
  today: string,
): SituationState[] {
  const limit = horizon(dates);
  return situations.map((s) => {
    if (!points.includes(s.point) || s.mois === null) return s;
    const found = months[s.mois];
    if (found) {
      const employment = bestJob(found.lines);
      return {
        point: s.point,
        mois: s.mois,
        ...employment,
        monthVersion: found.version,
        checkedOn: today,
      };
    }
    if (limit !== null && today > limit)
      return { point: s.point, mois: s.mois, statut: 'NON_DISPONIBLE', checkedOn: today };
    return { point: s.point, mois: s.mois, statut: 'EN_ATTENTE', checkedOn: today };
  });
}

/** The same point, owed a new look-up (as soon as it is due). */
function lookAgain(s: SituationState): SituationState {
  const { checkedOn: _checked, ...rest } = s;
  return rest;
}

/** A month was (re)loaded: the points that wait on it, or used an older load of it, look again. */
export function onMonthLoaded(
  situations: readonly SituationState[],
  mois: string,
  version: number,
): SituationState[] {
  return situations.map((s) => {
    if (s.mois !== mois || s.statut === 'NON_DISPONIBLE') return s;
    if (s.statut !== 'EN_ATTENTE' && s.monthVersion === version) return s;
    return lookAgain(s);
  });
}

/**
 * Waiting points last checked before the horizon look again once it has passed (their last
 * look-up decides NON_DISPONIBLE). With `weekly` (runs started before the central re-check), the
 * old safety net too: waiting points checked RECHECK_DAYS ago or more look again.
 */
export function expireChecks(
  situations: readonly SituationState[],
  dates: DossierDates,
  today: string,
  weekly: boolean,
): SituationState[] {
  const limit = horizon(dates);
  return situations.map((s) => {
    if (s.statut !== 'EN_ATTENTE' || s.checkedOn === undefined) return s;
    const recheck = weekly && addDays(s.checkedOn, RECHECK_DAYS) <= today;
    const horizonPassed = limit !== null && today > limit && s.checkedOn <= limit;
    if (!recheck && !horizonPassed) return s;
    return lookAgain(s);
  });
}

/**
 * The next day something is owed: a point falling due, or the horizon (and with `weekly`, a
 * weekly re-check of waiting points). Null: nothing but a signal or an event.
 */
export function nextWake(
  situations: readonly SituationState[],
  dates: DossierDates,
  today: string,
  weekly: boolean,
): string | null {
  const limit = horizon(dates);
  let next: string | null = null;
  const consider = (d: string | null) => {
    if (d !== null && d > today && (next === null || d < next)) next = d;
  };
  for (const s of situations) {
    if (s.statut !== 'EN_ATTENTE') continue;
    const due = dueDate(s.point, dates);
    if (due === null) continue;
    if (due > today) consider(due);
    else if (s.checkedOn !== undefined) {
      if (weekly) consider(addDays(s.checkedOn, RECHECK_DAYS));
      if (limit !== null) consider(addDays(limit, 1));
    }
  }
  return next;
}

/** Every point that can still happen is final: the follow-up is over. */
export function followUpComplete(
  situations: readonly SituationState[],
  dates: DossierDates,
  closed: boolean,
): boolean {
  if (!closed) return false;
  return situations.every((s) => dueDate(s.point, dates) === null || s.statut !== 'EN_ATTENTE');
}

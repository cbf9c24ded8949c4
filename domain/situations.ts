import type { ContractLine, MeilleurEmploi } from './best-job';
import { bestJob } from './best-job';
import { addDays, addMonths, monthOf } from './dates';
import { sha256, toHex, utf8 } from './hmac';
import { canonicalJson } from './vouch';
import type { DossierDates } from './schemas';

/** The six points of the employment follow-up. */
export const POINTS = ['VALIDATION', 'ENTREE', 'SORTIE', 'M3', 'M6', 'M12'] as const;
export type Point = (typeof POINTS)[number];
/**
 * A point's status (CONTRACT.md): waiting, a job or none found in its month's DSN, the month still
 * missing past the horizon, or a point that will never come (the dossier closed without its anchor).
 */
export const SITUATION_STATUTS = [
  'EN_ATTENTE',
  'EMPLOI',
  'SANS_EMPLOI',
  'NON_DISPONIBLE',
  'SANS_OBJET',
] as const;
export type SituationStatut = (typeof SITUATION_STATUTS)[number];

/** One point of a follow-up: the dossier's six (`Point`), a CEP period's three (domain/cep-follow-up.ts). */
export interface SituationState<P extends string = Point> {
  point: P;
  /** Reference month `YYYY-MM`; null while the anchor date is unknown. */
  mois: string | null;
  statut: SituationStatut;
  meilleurEmploi?: MeilleurEmploi;
  multiEmploi?: boolean;
  /** The version of the DSN month load that gave this situation. */
  monthVersion?: number;
  /**
   * The day the month was last found not loaded (no load signalled since); absent: a look-up is
   * owed as soon as the point is due.
   */
  checkedOn?: string;
}

/** A month's DSN lines for the person, or null when the month is not loaded. */
export type MonthLookup = { version: number; lines: ContractLine[] } | null;

const MONTHS_AFTER: Partial<Record<Point, number>> = { M3: 3, M6: 6, M12: 12 };
/** DSN data may serve up to 24 months after exit; past that a missing month is NON_DISPONIBLE. */
export const HORIZON_MONTHS = 24;

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

/**
 * When each point of a follow-up falls due, and until when a missing month is waited for: what a
 * record's dates say, for the one rule below (a dossier's from its dates, a CEP period's from its
 * closure).
 */
export interface FollowUpPlan<P extends string = string> {
  /** The day the point becomes due; null while its anchor date is unknown. */
  due(point: P): string | null;
  /** Past this day a month still missing makes a point NON_DISPONIBLE; null while unknown. */
  horizon: string | null;
  /** The record will get no new anchor date: a point still without one is SANS_OBJET. */
  ended: boolean;
}

/** A dossier's plan: its dates. */
export function dossierPlan(dates: DossierDates): FollowUpPlan<Point> {
  return { due: (p) => dueDate(p, dates), horizon: horizon(dates), ended: dates.cloture !== null };
}

/** The rule's functions take a plan, or a dossier's dates for the dossier's plan. */
type Anchors<P extends string> = FollowUpPlan<P> | (P extends Point ? DossierDates : never);
const planOf = <P extends string>(a: Anchors<P>): FollowUpPlan<P> =>
  'due' in a ? a : (dossierPlan(a as DossierDates) as unknown as FollowUpPlan<P>);
const monthDue = <P extends string>(plan: FollowUpPlan<P>, p: P): string | null => {
  const d = plan.due(p);
  return d === null ? null : monthOf(d);
};

export function initialSituations(): SituationState[] {
  return POINTS.map((point) => ({ point, mois: null, statut: 'EN_ATTENTE' }));
}

/** Nothing more will be looked up for the point. */
const isFinal = (statut: SituationStatut) => statut === 'NON_DISPONIBLE' || statut === 'SANS_OBJET';

const isDue = <P extends string>(s: SituationState<P>, plan: FollowUpPlan<P>, today: string): boolean => {
  const d = plan.due(s.point);
  return d !== null && d <= today;
};

/**
 * The one rule of a point's status, whatever recorded what is known of its month (a look-up, the
 * caller's word that the month is not loaded, a month's wake-up, the nightly re-check), applied
 * after every change and every day the workflow wakes:
 * - its reference month follows the dossier's dates (a point whose month moved starts again);
 * - a dossier closed without the validation, entry or exit a point hangs on: SANS_OBJET;
 * - a month found missing after the horizon: NON_DISPONIBLE; found missing before it, once the
 *   horizon has passed: looked up once more, and that look-up decides.
 * Loaded months decide as they are found (EMPLOI or SANS_EMPLOI), whatever the horizon.
 */
export function settle<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
  today: string,
): SituationState<P>[] {
  const plan = planOf(anchors);
  const limit = plan.horizon;
  const closed = plan.ended;
  return situations.map((s): SituationState<P> => {
    const mois = monthDue(plan, s.point);
    if (mois === null) {
      if (closed) return { point: s.point, mois: null, statut: 'SANS_OBJET' };
      return s.mois === null && s.statut === 'EN_ATTENTE'
        ? s
        : { point: s.point, mois: null, statut: 'EN_ATTENTE' };
    }
    if (mois !== s.mois) return { point: s.point, mois, statut: 'EN_ATTENTE' };
    if (s.statut !== 'EN_ATTENTE' || s.checkedOn === undefined) return s;
    if (limit === null || today <= limit) return s;
    if (s.checkedOn > limit)
      return { point: s.point, mois, statut: 'NON_DISPONIBLE', checkedOn: s.checkedOn };
    return lookAgain(s);
  });
}

/** The points owed a look-up today. */
export function pendingPoints<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
  today: string,
): P[] {
  const plan = planOf(anchors);
  return situations
    .filter((s) => s.checkedOn === undefined && !isFinal(s.statut) && isDue(s, plan, today))
    .map((s) => s.point);
}

/**
 * Record what is known of the given points' months (null: not loaded), then the rule of
 * `settle`: a month missing past the horizon is NON_DISPONIBLE at once.
 */
export function applyLookups<P extends string>(
  situations: readonly SituationState<P>[],
  points: readonly P[],
  months: Readonly<Record<string, MonthLookup>>,
  anchors: Anchors<P>,
  today: string,
): SituationState<P>[] {
  const looked = situations.map((s): SituationState<P> => {
    if (!points.includes(s.point) || s.mois === null || !(s.mois in months)) return s;
    const found = months[s.mois];
    if (found) {
      return {
        point: s.point,
        mois: s.mois,
        ...bestJob(found.lines),
        monthVersion: found.version,
        checkedOn: today,
      };
    }
    return { point: s.point, mois: s.mois, statut: 'EN_ATTENTE', checkedOn: today };
  });
  return settle(looked, anchors, today);
}

/** The same point, owed a new look-up (as soon as it is due). */
function lookAgain<P extends string>(s: SituationState<P>): SituationState<P> {
  const { checkedOn: _checked, ...rest } = s;
  return rest;
}

/** What a partner or case worker sees of a situation (not the look-up bookkeeping), as a key. */
export const seenOf = (s: SituationState<string>): string =>
  JSON.stringify([s.statut, s.mois, s.meilleurEmploi, s.multiEmploi]);

/**
 * What a partner sees of a follow-up's points, as a short digest: a record's and a workflow's
 * compared (whatever the order of their keys: a record comes back from PostgreSQL's jsonb).
 */
export const seenDigest = (situations: readonly SituationState<string>[]): string =>
  toHex(
    sha256(
      utf8(
        canonicalJson(
          situations.map((s) => [s.statut, s.mois, s.meilleurEmploi ?? null, s.multiEmploi ?? null]),
        ),
      ),
    ),
  ).slice(0, 32);

/** A month was (re)loaded: the points that wait on it, or used an older load of it, look again. */
export function onMonthLoaded<P extends string>(
  situations: readonly SituationState<P>[],
  mois: string,
  version: number,
): SituationState<P>[] {
  return situations.map((s) => {
    if (s.mois !== mois || isFinal(s.statut)) return s;
    if (s.statut !== 'EN_ATTENTE' && s.monthVersion === version) return s;
    return lookAgain(s);
  });
}

/**
 * A load of a month, before its lines are read: the points reopened (those that wait on it or used
 * an older load), and those of them due today, which its lines decide (`takeLoad`).
 */
export function owedByLoad<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
  load: { mois: string; version: number },
  today: string,
): { reopened: SituationState<P>[]; points: P[] } {
  const reopened = onMonthLoaded(situations, load.mois, load.version);
  const points = pendingPoints(reopened, anchors, today).filter(
    (p) => reopened.find((s) => s.point === p)?.mois === load.mois,
  );
  return { reopened, points };
}

/**
 * A load of a month with the person's lines of it (read by the month's wake-up), taken on `today`:
 * the points that wait on it or used an older load look again, and those due find their situation
 * in the lines. The one rule for a workflow's signal, an ended dossier's record and the wake-up's
 * own write of the record (activities/month-wake.ts).
 */
export function takeLoad<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
  load: { mois: string; version: number; lines: ContractLine[] },
  today: string,
): SituationState<P>[] {
  const { reopened, points } = owedByLoad(situations, anchors, load, today);
  if (points.length === 0) return reopened;
  return applyLookups(
    reopened,
    points,
    { [load.mois]: { version: load.version, lines: load.lines } },
    anchors,
    today,
  );
}

/**
 * The next day the rule can change something: a waiting point falling due, or the day after the
 * horizon for a point waiting on a month not loaded. Always after `today`; null: nothing but a
 * signal or an event.
 */
export function nextWake<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
  today: string,
): string | null {
  const plan = planOf(anchors);
  const limit = plan.horizon;
  let next: string | null = null;
  const consider = (d: string | null) => {
    if (d !== null && d > today && (next === null || d < next)) next = d;
  };
  for (const s of situations) {
    if (s.statut !== 'EN_ATTENTE') continue;
    const due = plan.due(s.point);
    if (due === null) continue;
    if (due > today) consider(due);
    else if (s.checkedOn !== undefined && limit !== null) consider(addDays(limit, 1));
  }
  return next;
}

/**
 * For each month a point still follows (not final), the oldest load of it its points took (0: one
 * of them awaits it). The read model compares it with a load the month's wake-up wrote ahead of the
 * workflow (db/dossier-read-model.ts): a month absent here is followed by no point any more.
 */
export function loadsTaken<P extends string>(
  situations: readonly SituationState<P>[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of situations) {
    if (s.mois === null || isFinal(s.statut)) continue;
    const v = s.statut === 'EN_ATTENTE' ? 0 : (s.monthVersion ?? 0);
    out[s.mois] = Math.min(out[s.mois] ?? v, v);
  }
  return out;
}

/** The record is closed and every point is final: the follow-up is over. */
export function followUpComplete<P extends string>(
  situations: readonly SituationState<P>[],
  anchors: Anchors<P>,
): boolean {
  return planOf(anchors).ended && situations.every((s) => s.statut !== 'EN_ATTENTE');
}

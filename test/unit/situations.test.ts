import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import type { DossierDates } from '../../domain/schemas';
import type { MonthLookup, SituationState } from '../../domain/situations';
import {
  applyLookups,
  dueDate,
  followUpComplete,
  horizon,
  initialSituations,
  nextWake,
  onMonthLoaded,
  pendingPoints,
  settle,
} from '../../domain/situations';

const dates = (d: Partial<DossierDates>): DossierDates => ({
  creation: '2026-01-02',
  validation: null,
  entree: null,
  sortie: null,
  cloture: null,
  ...d,
});

/** The six points after the look-ups of `today`, every month of `found` as given (absent: not loaded). */
function lookedUp(d: DossierDates, today: string, found: Record<string, MonthLookup> = {}): SituationState[] {
  const situations = settle(initialSituations(), d, today);
  const due = pendingPoints(situations, d, today);
  const months = Object.fromEntries(
    situations.filter((s) => s.mois !== null).map((s) => [s.mois!, found[s.mois!] ?? null]),
  );
  return applyLookups(situations, due, months, d, today);
}

describe('the wake-ups of the follow-up', () => {
  it('sets no wake-up for a validated dossier waiting on its month: its load signals it', () => {
    const d = dates({ validation: '2026-01-10' });
    const s = lookedUp(d, '2026-01-10');
    expect(s[0]).toMatchObject({ point: 'VALIDATION', statut: 'EN_ATTENTE', checkedOn: '2026-01-10' });
    expect(nextWake(s, d, '2026-01-10')).toBeNull();
    const signalled = onMonthLoaded(s, '2026-01', 1);
    expect(pendingPoints(signalled, d, '2026-02-20')).toEqual(['VALIDATION']);
  });

  it('wakes an exited dossier when its 3-month point falls due', () => {
    const d = dates({ validation: '2026-01-10', entree: '2026-02-01', sortie: '2026-06-30' });
    const s = lookedUp(d, '2026-06-30');
    expect(nextWake(s, d, '2026-06-30')).toBe('2026-09-30');
  });

  it('wakes the day after the horizon, where a month still missing becomes NON_DISPONIBLE', () => {
    const d = dates({ validation: '2024-01-10', entree: '2024-02-01', sortie: '2024-06-30' });
    // Every point looked up on its due day and found its month missing.
    const s = lookedUp(d, '2025-06-30');
    expect(s.every((p) => p.statut === 'EN_ATTENTE' && p.checkedOn === '2025-06-30')).toBe(true);
    expect(nextWake(s, d, '2025-06-30')).toBe('2026-07-01');
    const after = settle(s, d, '2026-07-01');
    expect(after.every((p) => p.checkedOn === undefined)).toBe(true);
    const points = pendingPoints(after, d, '2026-07-01');
    const none = Object.fromEntries(after.map((p) => [p.mois!, null]));
    expect(applyLookups(after, points, none, d, '2026-07-01').map((p) => p.statut)).toEqual(
      Array(6).fill('NON_DISPONIBLE'),
    );
  });

  it('makes a backfilled dossier NON_DISPONIBLE at once: its month found missing after the horizon', () => {
    // Validation recorded as waiting today (no exit yet), then exit and closure told the same day.
    const validated = dates({ creation: '2023-01-01', validation: '2023-01-06' });
    const waiting = lookedUp(validated, '2026-11-29');
    expect(waiting[0]).toMatchObject({ statut: 'EN_ATTENTE', checkedOn: '2026-11-29' });
    const closed = { ...validated, entree: '2023-01-16', sortie: '2023-07-20', cloture: '2023-07-30' };
    const s = settle(waiting, closed, '2026-11-29');
    expect(s[0]).toMatchObject({ point: 'VALIDATION', statut: 'NON_DISPONIBLE' });
    // The others fall due at once and are looked up: missing, past the horizon too.
    const points = pendingPoints(s, closed, '2026-11-29');
    expect(points).toEqual(['ENTREE', 'SORTIE', 'M3', 'M6', 'M12']);
    const none = Object.fromEntries(s.map((p) => [p.mois!, null]));
    const done = applyLookups(s, points, none, closed, '2026-11-29');
    expect(done.map((p) => p.statut)).toEqual(Array(6).fill('NON_DISPONIBLE'));
    expect(followUpComplete(done, closed)).toBe(true);
    expect(nextWake(done, closed, '2026-11-29')).toBeNull();
  });

  it('reads SANS_OBJET on the points a cancelled dossier never reached', () => {
    const d = dates({ validation: '2026-01-10', cloture: '2026-01-20' });
    const s = settle(lookedUp(d, '2026-01-20'), d, '2026-01-20');
    expect(s.map((p) => p.statut)).toEqual([
      'EN_ATTENTE',
      'SANS_OBJET',
      'SANS_OBJET',
      'SANS_OBJET',
      'SANS_OBJET',
      'SANS_OBJET',
    ]);
    expect(followUpComplete(s, d)).toBe(false);
    const never = dates({ cloture: '2026-01-20' });
    const all = settle(initialSituations(), never, '2026-01-20');
    expect(all.every((p) => p.statut === 'SANS_OBJET')).toBe(true);
    expect(followUpComplete(all, never)).toBe(true);
  });
});

/** A day `n` days after 2020-01-01. */
const day = (n: number) => addDays('2020-01-01', n);

const arbDossier = fc
  .record({
    creation: fc.integer({ min: 0, max: 2400 }),
    steps: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 4, maxLength: 4 }),
    reached: fc.integer({ min: 0, max: 3 }),
    closed: fc.boolean(),
    // When the platform first knows of the dossier: the day of its last event, or years later (backfill).
    toldAfter: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1500 })),
    // Each reference month loaded on a day relative to its due day (in the past, soon, late, never).
    loads: fc.array(fc.oneof(fc.constant(null), fc.integer({ min: -200, max: 1200 })), {
      minLength: 6,
      maxLength: 6,
    }),
  })
  .map(({ creation, steps, reached, closed, toldAfter, loads }) => {
    const c = day(creation);
    const v = reached >= 1 ? addDays(c, steps[0]!) : null;
    const e = reached >= 2 && v ? addDays(v, steps[1]!) : null;
    const s = reached >= 3 && e ? addDays(e, steps[2]!) : null;
    const last = s ?? e ?? v ?? c;
    const d: DossierDates = {
      creation: c,
      validation: v,
      entree: e,
      sortie: s,
      cloture: closed ? addDays(last, steps[3]!) : null,
    };
    return { d, told: addDays(d.cloture ?? last, toldAfter), loads };
  });

/**
 * The follow-up as the workflow runs it, from the day the platform is told of the dossier: the
 * rule, the look-ups, the month loads' signals, sleeping until the next wake-up or load.
 */
function simulate({ d, told, loads }: { d: DossierDates; told: string; loads: (number | null)[] }) {
  let situations = settle(initialSituations(), d, told);
  const loadDay = new Map<string, string>();
  for (const [i, s] of situations.entries()) {
    const due = dueDate(s.point, d);
    const offset = loads[i];
    if (due !== null && offset !== null && offset !== undefined && s.mois && !loadDay.has(s.mois))
      loadDay.set(s.mois, addDays(due, offset));
  }
  const loaded = (mois: string, today: string): MonthLookup =>
    (loadDay.get(mois) ?? '9999-12-31') <= today ? { version: 1, lines: [] } : null;
  const problems: string[] = [];
  let today = told;
  for (let turn = 0; turn < 50; turn++) {
    situations = settle(situations, d, today);
    const points = pendingPoints(situations, d, today);
    if (points.length > 0) {
      const months = Object.fromEntries(
        situations.filter((s) => s.mois).map((s) => [s.mois!, loaded(s.mois!, today)]),
      );
      situations = applyLookups(situations, points, months, d, today);
    }
    const limit = horizon(d);
    for (const s of situations) {
      const due = dueDate(s.point, d);
      if (limit && today > limit && due !== null && s.statut === 'EN_ATTENTE')
        problems.push(`${s.point} waits on ${today}, past the horizon ${limit}`);
      if (d.cloture && due === null && s.statut !== 'SANS_OBJET')
        problems.push(`${s.point} of a closed dossier reads ${s.statut} without its anchor`);
    }
    if (followUpComplete(situations, d)) return { situations, complete: true, problems, today };
    const wake = nextWake(situations, d, today);
    if (wake !== null && wake <= today) problems.push(`wake-up ${wake} is not after ${today}`);
    const nextLoad = [...loadDay.entries()]
      .filter(([m, at]) => at > today && situations.some((s) => s.mois === m))
      .map(([, at]) => at)
      .sort()[0];
    const next = [wake, nextLoad].filter((x): x is string => x !== null && x !== undefined).sort()[0];
    if (next === undefined) return { situations, complete: false, problems, today };
    today = next;
    for (const [m, at] of loadDay) if (at === today) situations = onMonthLoaded(situations, m, 1);
  }
  problems.push('did not settle in 50 turns');
  return { situations, complete: false, problems, today };
}

describe('the rule of a point, over random dossiers, closures and loaded months', () => {
  it('never leaves a point waiting past its horizon, nor one of a closed dossier on a date that cannot come', () => {
    fc.assert(
      fc.property(arbDossier, (dossier) => {
        expect(simulate(dossier).problems).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('completes the follow-up of every closed dossier, and exactly when every point is final', () => {
    fc.assert(
      fc.property(arbDossier, (dossier) => {
        const run = simulate(dossier);
        const final = run.situations.every((s) => s.statut !== 'EN_ATTENTE');
        expect(run.complete).toBe(dossier.d.cloture !== null && final);
        if (dossier.d.cloture !== null) expect(run.complete).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { ContractLine } from '../../domain/best-job';
import type { FollowUpPlan, SituationState } from '../../domain/situations';
import { loadsTaken, seenDigest, takeLoad } from '../../domain/situations';
import { FollowUp } from '../../workflows/follow-up';

/**
 * A month's wake-up that brings the person's lines (the set-based path): the waiting points take
 * them at once, with no look-up; a stale load or a look-up that read the month before changes
 * nothing it should not.
 */
type P = 'SORTIE' | 'M3';
const job = (heures: number): ContractLine => ({
  siret: '55555555000006',
  naf: '6201Z',
  natureContrat: '01',
  dateDebutContrat: '2025-01-01',
  dateFinContrat: null,
  heures,
});

function host() {
  let situations: SituationState<P>[] = [
    { point: 'SORTIE', mois: '2025-05', statut: 'EN_ATTENTE', checkedOn: '2025-06-10' },
    { point: 'M3', mois: '2025-08', statut: 'EN_ATTENTE', checkedOn: '2025-09-10' },
  ];
  const plan: FollowUpPlan<P> = {
    due: (p) => (p === 'SORTIE' ? '2025-05-31' : '2025-08-31'),
    horizon: '2027-05-31',
    ended: false,
  };
  return {
    situations: () => situations,
    plan: () => plan,
    setSituations: (s: SituationState<P>[]) => void (situations = s),
  };
}

describe('a month loaded with its lines', () => {
  it('records the waiting points of that month at once, owing no look-up', () => {
    const h = host();
    const f = new FollowUp<P>(h);
    f.onMonthLoaded({ mois: '2025-08', version: 3, lines: [job(151.67)] });
    expect(h.situations()[1]).toMatchObject({ point: 'M3', statut: 'EMPLOI', monthVersion: 3 });
    expect(h.situations()[0]).toMatchObject({ point: 'SORTIE', statut: 'EN_ATTENTE' });
    expect(f.owedLookups()).toEqual([]);
    // No line: no job that month.
    f.onMonthLoaded({ mois: '2025-05', version: 1, lines: [] });
    expect(h.situations()[0]).toMatchObject({ statut: 'SANS_EMPLOI', monthVersion: 1 });
  });

  it('ignores a load overtaken by a newer one, and distrusts a look-up that read before it', () => {
    const h = host();
    const f = new FollowUp<P>(h);
    f.onMonthLoaded({ mois: '2025-08', version: 4, lines: [job(151.67)] });
    f.onMonthLoaded({ mois: '2025-08', version: 3, lines: [] });
    // The older load's empty lines are not taken: the newer one's job stands until looked up again.
    expect(h.situations()[1]).not.toMatchObject({ statut: 'SANS_EMPLOI' });

    // A look-up starts, a load with its lines arrives while it runs, then the look-up answers
    // with the month as it was before: the load's lines stand.
    const h2 = host();
    const k = new FollowUp<P>(h2);
    k.onMonthLoaded({ mois: '2025-08', version: 5 }); // a plain signal: a look-up is owed
    const owed = k.owedLookups();
    expect(owed).toEqual(['M3']);
    k.lookup(owed);
    k.onMonthLoaded({ mois: '2025-08', version: 6, lines: [job(100)] });
    k.lookedUp(owed, { '2025-08': { version: 5, lines: [] } });
    expect(h2.situations()[1]).toMatchObject({ statut: 'EMPLOI', monthVersion: 6 });
  });

  it('changes nothing for lines that are not contract lines', () => {
    const h = host();
    const f = new FollowUp<P>(h);
    f.onMonthLoaded({ mois: '2025-08', version: 3, lines: [{ siret: 1 }] });
    expect(h.situations()[1]).toMatchObject({ statut: 'EN_ATTENTE' });
    expect(f.owedLookups()).toEqual(['M3']);
  });
});

describe('a load written ahead of the workflow (activities/month-wake.ts)', () => {
  it('is taken on the day the wake-up took it, and the record tells a state that has not', () => {
    const h = host();
    const f = new FollowUp<P>(h);
    const before = h.situations();
    // The wake-up's rule, from the record's points (no bookkeeping kept there), on its day.
    const record = before.map(({ point, mois, statut }) => ({ point, mois, statut }));
    const load = { mois: '2025-08', version: 5, lines: [job(151.67)] };
    const written = takeLoad(record, h.plan(), load, '2025-09-20');
    expect(f.onMonthLoaded(load, '2025-09-20')).toBe(true);
    expect(seenDigest(h.situations())).toBe(seenDigest(written));
    // Whatever the order of the keys (a record comes back from jsonb with its own).
    const reordered = written.map((x) =>
      x.meilleurEmploi
        ? {
            ...x,
            meilleurEmploi: Object.fromEntries(
              Object.entries(x.meilleurEmploi).reverse(),
            ) as typeof x.meilleurEmploi,
          }
        : x,
    );
    expect(seenDigest(reordered)).toBe(seenDigest(written));
    expect(seenDigest(before)).not.toBe(seenDigest(written));
    // The month's load taken by the points that follow it; one not taken, or an older one, is not.
    expect(loadsTaken(h.situations())).toEqual({ '2025-05': 0, '2025-08': 5 });
    expect(loadsTaken(before)['2025-08']).toBe(0);
    expect(loadsTaken([{ point: 'M3', mois: '2025-08', statut: 'EMPLOI', monthVersion: 4 }])).toEqual({
      '2025-08': 4,
    });
    // A point that will never come, or no point on the month: nothing to take.
    expect(loadsTaken([{ point: 'M3', mois: null, statut: 'SANS_OBJET' }])).toEqual({});
    // Without the lines, or overtaken by a newer load, the signal takes nothing at once.
    expect(f.onMonthLoaded({ mois: '2025-08', version: 4, lines: [] })).toBe(false);
    expect(f.onMonthLoaded({ mois: '2025-05', version: 1 })).toBe(false);
  });
});

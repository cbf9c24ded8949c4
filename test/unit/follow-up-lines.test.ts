import { describe, expect, it } from 'vitest';
import type { ContractLine } from '../../domain/best-job';
import type { FollowUpPlan, SituationState } from '../../domain/situations';
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

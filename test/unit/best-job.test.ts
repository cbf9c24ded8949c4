import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ContractLine } from '../../domain/best-job';
import { bestJob, isDurable } from '../../domain/best-job';
import { categoryOf } from '../../domain/dsn-codes';
import { addMonths } from '../../domain/dates';

const line = (o: Partial<ContractLine>): ContractLine => ({
  siret: '12345678200010',
  naf: '6201Z',
  natureContrat: '01',
  dateDebutContrat: '2026-01-01',
  dateFinContrat: null,
  heures: 151.67,
  ...o,
});

describe('contract natures', () => {
  it('follows the table of CONTRACT.md', () => {
    for (const n of ['01', '07', '08', '09', '82', '91']) expect(categoryOf(n)).toBe('CDI');
    for (const n of ['02', '10', '92']) expect(categoryOf(n)).toBe('CDD');
    expect(categoryOf('03')).toBe('INTERIM');
    for (const n of ['29', '80', '81', '89']) expect(categoryOf(n)).toBeNull();
    for (const n of ['04', '05', '50', '90', '93']) expect(categoryOf(n)).toBe('AUTRE');
  });
});

describe('bestJob', () => {
  it('finds no job in no lines, or in lines that are not jobs', () => {
    expect(bestJob([])).toEqual({ statut: 'SANS_EMPLOI', multiEmploi: false });
    expect(bestJob([line({ natureContrat: '29' }), line({ natureContrat: '89' })]).statut).toBe(
      'SANS_EMPLOI',
    );
  });

  it('ranks by category first, then hours, then the latest start', () => {
    const cdd = line({ natureContrat: '02', heures: 200, siret: '11111111111111' });
    const cdi = line({ natureContrat: '01', heures: 20, siret: '22222222222222' });
    expect(bestJob([cdd, cdi])).toMatchObject({
      statut: 'EMPLOI',
      multiEmploi: true,
      meilleurEmploi: { categorie: 'CDI' },
    });
    const a = line({
      natureContrat: '02',
      heures: 80,
      dateDebutContrat: '2026-01-10',
      siret: '33333333333333',
    });
    const b = line({
      natureContrat: '02',
      heures: 100,
      dateDebutContrat: '2025-01-10',
      siret: '44444444444444',
    });
    expect(bestJob([a, b])).toMatchObject({ meilleurEmploi: { siretEmployeur: '44444444444444' } });
    const c = line({
      natureContrat: '03',
      heures: 50,
      dateDebutContrat: '2026-02-01',
      siret: '55555555555555',
    });
    const d = line({
      natureContrat: '03',
      heures: 50,
      dateDebutContrat: '2026-03-01',
      siret: '66666666666666',
    });
    expect(bestJob([c, d])).toMatchObject({
      meilleurEmploi: { siretEmployeur: '66666666666666', categorie: 'INTERIM' },
    });
  });

  it('counts multi-emploi over distinct contracts (employer and start date)', () => {
    expect(bestJob([line({}), line({})]).multiEmploi).toBe(false);
    expect(bestJob([line({}), line({ dateDebutContrat: '2026-02-01' })]).multiEmploi).toBe(true);
    expect(bestJob([line({}), line({ natureContrat: '29', siret: '99999999999999' })]).multiEmploi).toBe(
      false,
    );
  });

  it('flags durable jobs: CDI, or CDD/interim of 6 months or more', () => {
    expect(isDurable('CDI', '2026-01-01', null)).toBe(true);
    expect(isDurable('CDD', '2026-01-01', '2026-07-01')).toBe(true);
    expect(isDurable('CDD', '2026-01-01', '2026-06-30')).toBe(false);
    expect(isDurable('INTERIM', '2026-01-31', '2026-07-31')).toBe(true);
    expect(isDurable('CDD', '2026-01-01', null)).toBe(false);
    expect(isDurable('AUTRE', '2020-01-01', '2030-01-01')).toBe(false);
  });
});

// A naive reference: score every job as a tuple and keep the maximum, written independently.
function reference(lines: ContractLine[]) {
  const rank = (n: string) =>
    ['01', '07', '08', '09', '82', '91'].includes(n)
      ? 4
      : ['02', '10', '92'].includes(n)
        ? 3
        : n === '03'
          ? 2
          : 1;
  const jobs = lines.filter((l) => !['29', '80', '81', '89'].includes(l.natureContrat));
  if (jobs.length === 0) return null;
  let best = jobs[0]!;
  for (const j of jobs) {
    const better =
      rank(j.natureContrat) > rank(best.natureContrat) ||
      (rank(j.natureContrat) === rank(best.natureContrat) &&
        (j.heures > best.heures || (j.heures === best.heures && j.dateDebutContrat > best.dateDebutContrat)));
    if (better) best = j;
  }
  return best;
}

const arbLine = fc.record({
  siret: fc.constantFrom('11111111111111', '22222222222222', '33333333333333'),
  naf: fc.constant('6201Z'),
  natureContrat: fc.constantFrom('01', '02', '03', '07', '10', '29', '50', '80', '89', '91', '92'),
  dateDebutContrat: fc.constantFrom('2025-01-01', '2025-06-15', '2026-01-01', '2026-02-28'),
  dateFinContrat: fc.option(fc.constantFrom('2026-03-31', '2026-12-31', '2027-06-30'), { nil: null }),
  heures: fc.constantFrom(0, 20, 75.5, 151.67, 200),
});

describe('bestJob against a naive reference', () => {
  it('picks a job of the same category, hours and start date', () => {
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 8 }), (lines) => {
        const ref = reference(lines);
        const got = bestJob(lines);
        if (ref === null) {
          expect(got.statut).toBe('SANS_EMPLOI');
          return;
        }
        expect(got.statut).toBe('EMPLOI');
        if (got.statut !== 'EMPLOI') return;
        expect(got.meilleurEmploi.categorie).toBe(categoryOf(ref.natureContrat));
        expect(got.meilleurEmploi.heures).toBe(ref.heures);
        expect(got.meilleurEmploi.dateDebutContrat).toBe(ref.dateDebutContrat);
        const contracts = new Set(
          lines
            .filter((l) => categoryOf(l.natureContrat) !== null)
            .map((l) => `${l.siret}|${l.dateDebutContrat}`),
        );
        expect(got.multiEmploi).toBe(contracts.size > 1);
        const end = got.meilleurEmploi.dateFinContrat;
        const durable =
          got.meilleurEmploi.categorie === 'CDI' ||
          (['CDD', 'INTERIM'].includes(got.meilleurEmploi.categorie) &&
            end !== null &&
            end >= addMonths(got.meilleurEmploi.dateDebutContrat, 6));
        expect(got.meilleurEmploi.emploiDurable).toBe(durable);
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(
        fc
          .array(arbLine, { maxLength: 6 })
          .chain((l) =>
            fc.tuple(fc.constant(l), fc.shuffledSubarray(l, { minLength: l.length, maxLength: l.length })),
          ),
        ([a, b]) => {
          expect(bestJob(b)).toEqual(bestJob(a));
        },
      ),
    );
  });
});

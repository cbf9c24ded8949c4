import { describe, expect, it } from 'vitest';
import { cepPlan, entriesBy, initialSuivi, operatorSeesDossier } from '../../domain/cep-follow-up';
import { suiviView } from '../../domain/cep-view';
import { applyLookups, followUpComplete, nextWake, pendingPoints, settle } from '../../domain/situations';

/** CONTRACT.md, "CEP periods", follow-up after closure: the points, their months, the entry into training. */
describe("a CEP period's follow-up after closure", () => {
  const closed = { ouverture: '2026-01-05', cloture: '2026-03-31' };

  it('dates its points on the closure, + 6 and + 12 months, and waits for nothing before closure', () => {
    const open = cepPlan({ cloture: null });
    expect(settle(initialSuivi(), open, '2026-03-01').map((s) => s.mois)).toEqual([null, null, null]);
    expect(pendingPoints(initialSuivi(), open, '2030-01-01')).toEqual([]);
    expect(followUpComplete(initialSuivi(), open)).toBe(false);

    const plan = cepPlan(closed);
    const s = settle(initialSuivi(), plan, '2026-03-31');
    expect(s.map((p) => p.mois)).toEqual(['2026-03', '2026-09', '2027-03']);
    expect(['FERMETURE', 'M6', 'M12'].map((p) => plan.due(p as 'M6'))).toEqual([
      '2026-03-31',
      '2026-09-30',
      '2027-03-31',
    ]);
    expect(pendingPoints(s, plan, '2026-03-31')).toEqual(['FERMETURE']);
    expect(nextWake(s, plan, '2026-03-31')).toBe('2026-09-30');
  });

  it("applies the dossiers' rule: a loaded month decides, one still missing 24 months after closure is NON_DISPONIBLE", () => {
    const plan = cepPlan(closed);
    let s = settle(initialSuivi(), plan, '2027-04-01');
    const job = {
      siret: '12345678200010',
      naf: '6201Z',
      natureContrat: '02',
      dateDebutContrat: '2026-03-01',
      dateFinContrat: '2026-12-31',
      heures: 100,
    };
    s = applyLookups(
      s,
      pendingPoints(s, plan, '2027-04-01'),
      { '2026-03': { version: 1, lines: [job] }, '2026-09': { version: 1, lines: [] }, '2027-03': null },
      plan,
      '2027-04-01',
    );
    expect(s.map((p) => p.statut)).toEqual(['EMPLOI', 'SANS_EMPLOI', 'EN_ATTENTE']);
    expect(s[0]!.meilleurEmploi).toMatchObject({ categorie: 'CDD', emploiDurable: true });
    expect(followUpComplete(s, plan)).toBe(false);
    // Past the horizon, the last look-up found the month still missing: the follow-up is over.
    const late = settle(s, plan, '2028-04-01');
    const relooked = applyLookups(
      late,
      pendingPoints(late, plan, '2028-04-01'),
      { '2027-03': null },
      plan,
      '2028-04-01',
    );
    expect(relooked[2]!.statut).toBe('NON_DISPONIBLE');
    expect(followUpComplete(relooked, plan)).toBe(true);
  });

  it('counts an entry into training between the opening and each point, naming the dossier only where the operator sees it', () => {
    const entries = [
      { dossierId: 'BEFORE', entree: '2025-12-01', visible: true },
      { dossierId: 'HIDDEN', entree: '2026-05-02', visible: false },
      { dossierId: 'SEEN', entree: '2026-11-02', visible: true },
    ];
    expect(entriesBy(entries, closed.ouverture, null)).toEqual([]);
    const state = {
      dates: { ...closed, accompagnement: null, dernierEvenement: closed.cloture },
      suivi: settle(initialSuivi(), cepPlan(closed), '2026-03-31'),
      entreesFormation: entries,
    };
    expect(suiviView(state).map((p) => [p.point, p.formation, p.dossierId])).toEqual([
      ['FERMETURE', false, undefined],
      ['M6', true, undefined],
      ['M12', true, 'SEEN'],
    ]);
  });

  it('lets an operator see a dossier it is a party to, or whose prescription it made', () => {
    const op = '12345678900011';
    const d = {
      financeurSirets: ['23840001500018'],
      organismeSiret: '12345678200010',
      prescriptionOperateur: null,
    };
    expect(operatorSeesDossier(op, d)).toBe(false);
    expect(operatorSeesDossier(op, { ...d, financeurSirets: [op] })).toBe(true);
    expect(operatorSeesDossier(op, { ...d, organismeSiret: op })).toBe(true);
    expect(operatorSeesDossier(op, { ...d, prescriptionOperateur: op })).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import type { DossierDates } from '../../domain/schemas';
import type { SituationState } from '../../domain/situations';
import { applyLookups, expireChecks, initialSituations, nextWake, reconcile } from '../../domain/situations';

const dates = (d: Partial<DossierDates>): DossierDates => ({
  creation: '2026-01-02',
  validation: null,
  entree: null,
  sortie: null,
  cloture: null,
  ...d,
});

/** The six points after the look-ups of `checkedOn`, every month of `found` loaded. */
function lookedUp(d: DossierDates, checkedOn: string, found: Record<string, null> = {}): SituationState[] {
  const situations = reconcile(initialSituations(), d);
  const due = situations
    .filter((s) => s.mois !== null && s.mois <= checkedOn.slice(0, 7))
    .map((s) => s.point);
  return applyLookups(situations, due, found, d, checkedOn);
}

describe('the wake-ups of the follow-up', () => {
  it('sets no wake-up for a validated dossier waiting on its month, but the weekly one of older runs', () => {
    const d = dates({ validation: '2026-01-10' });
    const s = lookedUp(d, '2026-01-10');
    expect(s[0]).toMatchObject({ point: 'VALIDATION', statut: 'EN_ATTENTE', checkedOn: '2026-01-10' });
    expect(nextWake(s, d, '2026-01-10', false)).toBeNull();
    expect(nextWake(s, d, '2026-01-10', true)).toBe('2026-01-17');
    // A week later the point looks again only under the weekly rule.
    expect(expireChecks(s, d, '2026-01-17', false)[0]!.checkedOn).toBe('2026-01-10');
    expect(expireChecks(s, d, '2026-01-17', true)[0]!.checkedOn).toBeUndefined();
  });

  it('wakes an exited dossier when its 3-month point falls due', () => {
    const d = dates({ validation: '2026-01-10', entree: '2026-02-01', sortie: '2026-06-30' });
    const s = lookedUp(d, '2026-06-30');
    expect(nextWake(s, d, '2026-06-30', false)).toBe('2026-09-30');
    expect(nextWake(s, d, '2026-06-30', true)).toBe('2026-07-07');
  });

  it('still wakes at the horizon, where a month still missing becomes NON_DISPONIBLE', () => {
    const d = dates({ validation: '2024-01-10', entree: '2024-02-01', sortie: '2024-06-30' });
    // Every point looked up on its due day and found its month missing.
    const s = lookedUp(d, '2025-06-30');
    expect(s.every((p) => p.statut === 'EN_ATTENTE' && p.checkedOn === '2025-06-30')).toBe(true);
    expect(nextWake(s, d, '2025-06-30', false)).toBe('2026-07-01');
    const after = expireChecks(s, d, '2026-07-01', false);
    expect(after.every((p) => p.checkedOn === undefined)).toBe(true);
    const points = after.map((p) => p.point);
    expect(applyLookups(after, points, {}, d, '2026-07-01').map((p) => p.statut)).toEqual(
      Array(6).fill('NON_DISPONIBLE'),
    );
  });
});

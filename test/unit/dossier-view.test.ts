import { describe, expect, it } from 'vitest';
import { createState } from '../../domain/dossier-state';
import { publicView, stateOfRecord, toRecord, toView } from '../../domain/dossier-view';
import { DossierView } from '../../domain/schemas';
import { createBody } from '../helpers/fixtures';

describe('the dossier as the API serves it', () => {
  // With every optional field: a dossier that came from a CEP prescription.
  const state = createState(
    createBody({
      prescription: { periodeId: 'ML-1', prescriptionId: 'P-1' },
      remunerateurSiret: '18004315000015',
    }),
    '2026-03-01T10:00:00.000Z',
    '12345678900011',
  );
  const order = Object.keys(DossierView.shape);

  it("shows the view's fields in the contract's order, from the workflow and from the record alike", () => {
    const live = toView(state, { fullNir: true });
    expect(Object.keys(live)).toEqual(order);
    // The record comes back from jsonb, which orders keys its own way (here: reversed, deeply).
    const reordered = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reordered)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reordered(x)]),
            )
          : v;
    const fromJsonb = reordered(toRecord(state)) as ReturnType<typeof toRecord>;
    expect(Object.keys(fromJsonb)).not.toEqual(order);
    const again = toView(stateOfRecord(fromJsonb, state.stagiaire.nir), { fullNir: true });
    expect(Object.keys(again)).toEqual(order);
    expect(again).toEqual(live);
    expect(Object.keys(publicView(toRecord(state)))).toEqual(order);
  });

  it('never shows a field the state holds for itself', () => {
    const withPrivate = { ...state, internal: 'not for partners' };
    expect(toView(withPrivate, { fullNir: false })).not.toHaveProperty('internal');
  });

  it('shows the full NIR only when asked, the masked one always', () => {
    expect(toView(state, { fullNir: false }).stagiaire).not.toHaveProperty('nir');
    expect(toView(state, { fullNir: true }).stagiaire.nir).toBe(state.stagiaire.nir);
    expect(toRecord(state).stagiaire).not.toHaveProperty('nir');
  });
});

import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import type { DossierAggregate } from '../../domain/dossier-aggregate';
import { applyDecision, createAggregate, decide, settleDossier } from '../../domain/dossier-aggregate';
import { toView } from '../../domain/dossier-view';
import type { RecordEvent } from '../../domain/schemas';
import { bodyHash } from '../../infra/canonical-hash';
import { SIRETS, createBody } from '../helpers/fixtures';

/**
 * The pay and the certification on the dossier (CONTRACT.md, "Trainee remuneration" and
 * "Certification results"): the dossier's rules applied through its record's decision, as the
 * workflow applies them.
 */
const clock = { now: '2026-12-05T10:00:00.000Z' };
const ASP = '18004315000015';
const financeur: Actor = {
  admin: false,
  partnerId: 'f',
  siret: SIRETS.region84,
  kind: 'REGION',
  region: '84',
};
const organisme: Actor = {
  admin: false,
  partnerId: 'o',
  siret: SIRETS.organisme,
  kind: 'ORGANISME_FORMATION',
};
const asp: Actor = { admin: false, partnerId: 'r', siret: ASP, kind: 'REMUNERATEUR' };
const certifier: Actor = { admin: false, partnerId: 'c', siret: SIRETS.opco, kind: 'CERTIFICATEUR' };

let n = 0;
function send(agg: DossierAggregate, actor: Actor, e: Record<string, unknown>) {
  const event = { eventId: `e${++n}`, ...e } as RecordEvent;
  const cmd = { event, bodyHash: bodyHash(event), actor, receivedAt: clock.now };
  const decision = decide(agg, cmd, clock);
  return { decision, agg: applyDecision(agg, cmd, decision, clock) };
}
function accept(agg: DossierAggregate, actor: Actor, e: Record<string, unknown>): DossierAggregate {
  const r = send(agg, actor, e);
  if (r.decision.kind === 'refused') throw new Error(`${String(e.type)}: ${r.decision.error.message}`);
  return r.agg;
}
function validated(remunerateurSiret: string | null = ASP): DossierAggregate {
  const body = createBody(remunerateurSiret ? { remunerateurSiret } : {});
  let agg = createAggregate({ body, bodyHash: bodyHash(body), actor: financeur, receivedAt: clock.now });
  agg = accept(agg, financeur, { type: 'VALIDATION', date: '2026-01-20' });
  return agg;
}

describe('the pay on the dossier', () => {
  it('starts at the entry, is suspended while interrupted, resumed, paid and ended by the exit', () => {
    let agg = validated();
    // Declared before the entry: the period starts with it.
    agg = accept(agg, asp, {
      type: 'REMUNERATION_DEBUT',
      date: '2026-01-25',
      regime: 'RFPE',
      montantMensuel: 685,
    });
    agg = accept(agg, organisme, { type: 'ENTREE', date: '2026-02-02' });
    expect(agg.state.remunerations).toMatchObject([{ debut: '2026-02-02', fin: null, suspendue: false }]);
    agg = accept(agg, organisme, { type: 'INTERRUPTION', date: '2026-03-10' });
    expect(agg.state.remunerations[0]!.suspendue).toBe(true);
    agg = accept(agg, organisme, { type: 'REPRISE', date: '2026-04-01' });
    expect(agg.state.remunerations[0]!.suspendue).toBe(false);
    agg = accept(agg, asp, {
      type: 'REMUNERATION_PAIEMENT',
      date: '2026-03-05',
      mois: '2026-02',
      montant: 685.1,
    });
    agg = accept(agg, asp, {
      type: 'REMUNERATION_PAIEMENT',
      date: '2026-04-05',
      mois: '2026-03',
      montant: 300.2,
    });
    agg = accept(agg, organisme, { type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' });
    // A late payment for a month the period covered is still counted.
    agg = accept(agg, asp, {
      type: 'REMUNERATION_PAIEMENT',
      date: '2026-10-05',
      mois: '2026-09',
      montant: 685,
    });
    const view = toView(agg.state, { fullNir: false });
    expect(view.remunerations).toEqual([
      {
        regime: 'RFPE',
        remunerateurSiret: ASP,
        debut: '2026-02-02',
        fin: '2026-09-30',
        montantMensuel: 685,
        totalVerse: 1670.3,
        suspendue: false,
        motifFin: 'FIN_FORMATION',
      },
    ]);
  });

  it('takes a payment dated from the entry on, for a month already begun', () => {
    let agg = validated();
    agg = accept(agg, organisme, { type: 'ENTREE', date: '2026-05-15' });
    agg = accept(agg, asp, {
      type: 'REMUNERATION_DEBUT',
      date: '2026-05-15',
      regime: 'RFPE',
      montantMensuel: 600,
    });
    const pay = (date: string, mois: string) =>
      send(agg, asp, { type: 'REMUNERATION_PAIEMENT', date, mois, montant: 600 }).decision;
    expect(pay('2026-04-02', '2026-05')).toMatchObject({
      error: { code: 'INCOHERENT_DATE', details: { field: 'date', previous: '2026-05-15' } },
    });
    expect(pay('2001-01-01', '2026-05')).toMatchObject({ error: { code: 'INCOHERENT_DATE' } });
    expect(pay('2026-06-05', '2026-09')).toMatchObject({
      error: { code: 'INCOHERENT_DATE', details: { field: 'mois' } },
    });
    expect(pay('2026-05-31', '2026-05').kind).toBe('applied');
  });

  it('follows an AREF ended FIN_DROITS with an RFF, and refuses any other second period', () => {
    let agg = validated();
    agg = accept(agg, organisme, { type: 'ENTREE', date: '2026-02-02' });
    agg = accept(agg, asp, {
      type: 'REMUNERATION_DEBUT',
      date: '2026-02-02',
      regime: 'AREF',
      montantMensuel: 1100,
    });
    const second = send(agg, asp, {
      type: 'REMUNERATION_DEBUT',
      date: '2026-03-01',
      regime: 'RFF',
      montantMensuel: 700,
    });
    expect(second.decision).toMatchObject({ kind: 'refused', error: { code: 'INVALID_TRANSITION' } });
    agg = accept(agg, asp, { type: 'REMUNERATION_FIN', date: '2026-05-31', motif: 'FIN_DROITS' });
    agg = accept(agg, asp, {
      type: 'REMUNERATION_DEBUT',
      date: '2026-06-01',
      regime: 'RFF',
      montantMensuel: 700,
    });
    expect(agg.state.remunerations.map((r) => [r.regime, r.debut, r.fin])).toEqual([
      ['AREF', '2026-02-02', '2026-05-31'],
      ['RFF', '2026-06-01', null],
    ]);
  });

  it('is sent by the remunerator only; a dossier without one takes no pay', () => {
    let agg = validated();
    agg = accept(agg, organisme, { type: 'ENTREE', date: '2026-02-02' });
    const debut = { type: 'REMUNERATION_DEBUT', date: '2026-02-02', regime: 'RFPE', montantMensuel: 685 };
    expect(send(agg, financeur, debut).decision).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(send(agg, organisme, debut).decision).toMatchObject({ error: { code: 'FORBIDDEN' } });
    // The remunerator sends no lifecycle event.
    expect(send(agg, asp, { type: 'SORTIE', date: '2026-03-01', motif: 'ABANDON' }).decision).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
    // Another remunerator does not see the dossier.
    const other: Actor = { ...asp, siret: SIRETS.franceTravail, kind: 'FRANCE_TRAVAIL' };
    expect(send(agg, other, debut).decision).toMatchObject({ error: { code: 'NOT_FOUND' } });
    let none = validated(null);
    none = accept(none, organisme, { type: 'ENTREE', date: '2026-02-02' });
    expect(send(none, { admin: true }, debut).decision).toMatchObject({
      error: { code: 'INVALID_TRANSITION', details: { state: 'ENTRE', event: 'REMUNERATION_DEBUT' } },
    });
    // A financeur names one by a correction; that one then pays.
    none = accept(none, financeur, {
      type: 'RECTIFICATION',
      date: '2026-02-03',
      changes: { remunerateurSiret: ASP },
    });
    expect(send(none, asp, debut).decision.kind).toBe('applied');
    // The organisme does not name who pays.
    expect(
      send(none, organisme, {
        type: 'RECTIFICATION',
        date: '2026-02-03',
        changes: { remunerateurSiret: ASP },
      }).decision,
    ).toMatchObject({ error: { code: 'FORBIDDEN', details: [{ path: 'changes.remunerateurSiret' }] } });
  });

  it('hides the amounts funded and the employment from the remunerator, not the pay', () => {
    const agg = validated();
    const view = toView(agg.state, { fullNir: false, payOnly: true });
    expect(view.financements).toEqual([{ financeurSiret: SIRETS.region84 }]);
    expect(view.situations).toEqual([]);
    expect(view.remunerations).toEqual([]);
    expect(toView(agg.state, { fullNir: false }).situations).toHaveLength(6);
  });
});

describe('the certification on the dossier', () => {
  const result = {
    type: 'CERTIFICATION',
    date: '2026-10-05',
    certification: 'RNCP37674',
    obtention: 'PARTIELLE',
    blocs: ['RNCP37674BC02'],
    modaliteAcces: 'FORMATION_CONTINUE',
  };
  function exited(): DossierAggregate {
    let agg = validated();
    agg = accept(agg, organisme, { type: 'ENTREE', date: '2026-02-02' });
    return accept(agg, organisme, { type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' });
  }

  it('is awaited, then INCONNUE 12 months after exit without a result (never "failed")', () => {
    const agg = exited();
    expect(agg.state.certification).toEqual({
      code: 'RNCP37674',
      statut: 'EN_ATTENTE',
      blocs: [],
      dateObtention: null,
    });
    expect(settleDossier(agg.state, '2027-09-29').certification?.statut).toBe('EN_ATTENTE');
    expect(settleDossier(agg.state, '2027-09-30').certification?.statut).toBe('INCONNUE');
  });

  it('adds up partial results, and a full one is never undone nor redated', () => {
    let agg = exited();
    agg = accept(agg, certifier, result);
    agg = accept(agg, certifier, { ...result, date: '2026-11-05', blocs: ['RNCP37674BC01'] });
    expect(agg.state.certification).toMatchObject({
      statut: 'OBTENUE_PARTIELLE',
      blocs: ['RNCP37674BC01', 'RNCP37674BC02'],
      dateObtention: '2026-11-05',
    });
    agg = accept(agg, certifier, { ...result, date: '2026-12-01', obtention: 'TOTALE', blocs: [] });
    agg = accept(agg, certifier, { ...result, date: '2026-12-02', blocs: ['RNCP37674BC03'] });
    // The full obtention keeps its own date.
    expect(agg.state.certification).toMatchObject({
      statut: 'OBTENUE_TOTALE',
      blocs: [],
      dateObtention: '2026-12-01',
    });
    // Obtained: the passing of time changes nothing.
    expect(settleDossier(agg.state, '2028-01-01').certification?.statut).toBe('OBTENUE_TOTALE');
  });

  it("takes only its own certification's result: another code is no match, and changes nothing", () => {
    let agg = exited();
    agg = accept(agg, certifier, { ...result, obtention: 'TOTALE', blocs: [] });
    const other = send(agg, certifier, {
      ...result,
      certification: 'RNCP38565',
      obtention: 'TOTALE',
      blocs: [],
    });
    expect(other.decision).toMatchObject({ kind: 'refused', error: { code: 'NO_MATCH' } });
    expect(other.agg.state.certification).toMatchObject({ code: 'RNCP37674', statut: 'OBTENUE_TOTALE' });
  });

  it('is recorded from a certifier only (the platform matched it)', () => {
    expect(send(exited(), financeur, result).decision).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

import { describe, expect, it } from 'vitest';
import type { PayContext, PayEvent, Remuneration } from '../../domain/remuneration';
import { applyPay, onDossierChange } from '../../domain/remuneration';

/** CONTRACT.md, "Trainee remuneration": periods of pay and the dossier's life on them. */
const ASP = '18004315000015';
const entered: PayContext = { entree: '2026-02-02', sortie: null, interrompu: false };

function run(events: PayEvent[], ctx: PayContext = entered): Remuneration[] {
  let list: Remuneration[] = [];
  for (const e of events) {
    const r = applyPay(list, e, ctx, ASP);
    if (!r.ok) throw new Error(`${e.type}: ${r.error.code} ${r.error.message}`);
    list = r.remunerations;
  }
  return list;
}
const debut = (date: string, regime: 'AREF' | 'RFF' | 'RFPE' = 'RFPE', montantMensuel = 685): PayEvent => ({
  type: 'REMUNERATION_DEBUT',
  date,
  regime,
  montantMensuel,
});
const paiement = (mois: string, montant: number): PayEvent => ({
  type: 'REMUNERATION_PAIEMENT',
  date: `${mois}-28`,
  mois,
  montant,
});
const fin = (
  date: string,
  motif: 'FIN_DROITS' | 'FIN_FORMATION' | 'ABANDON' = 'FIN_FORMATION',
): PayEvent => ({
  type: 'REMUNERATION_FIN',
  date,
  motif,
});

describe('periods of pay', () => {
  it('starts no earlier than the entry, adds up its payments to the cent, and ends', () => {
    const list = run([
      debut('2026-02-02'),
      paiement('2026-02', 685.1),
      paiement('2026-03', 685.2),
      fin('2026-06-30'),
    ]);
    expect(list).toEqual([
      {
        regime: 'RFPE',
        remunerateurSiret: ASP,
        debut: '2026-02-02',
        fin: '2026-06-30',
        montantMensuel: 685,
        totalVerse: 1370.3,
        suspendue: false,
        motifFin: 'FIN_FORMATION',
      },
    ]);
    const early = applyPay([], debut('2026-02-01'), entered, ASP);
    expect(early.ok ? null : early.error.code).toBe('INCOHERENT_DATE');
  });

  it('refuses a second open period, a payment no period covers, an end with none open', () => {
    const list = run([debut('2026-02-02')]);
    const twice = applyPay(list, debut('2026-03-01'), entered, ASP);
    expect(twice.ok ? null : twice.error.code).toBe('INVALID_TRANSITION');
    // Paid in March for January, before the period began: no period covers it.
    const before = applyPay(list, { ...paiement('2026-01', 100), date: '2026-03-05' }, entered, ASP);
    expect(before.ok ? null : before.error.code).toBe('INVALID_TRANSITION');
    // Dated before the entry, or for a month not begun: the dates contradict the dossier's.
    const early = applyPay(list, { ...paiement('2026-02', 100), date: '2026-02-01' }, entered, ASP);
    expect(early.ok ? null : early.error.code).toBe('INCOHERENT_DATE');
    const ahead = applyPay(list, { ...paiement('2026-05', 100), date: '2026-03-05' }, entered, ASP);
    expect(ahead.ok ? null : ahead.error.code).toBe('INCOHERENT_DATE');
    const none = applyPay([], fin('2026-03-01'), entered, ASP);
    expect(none.ok ? null : none.error.code).toBe('INVALID_TRANSITION');
  });

  it('follows an AREF whose rights ran out with an RFF, and nothing else after a period', () => {
    const list = run([
      debut('2026-02-02', 'AREF', 1100),
      fin('2026-04-15', 'FIN_DROITS'),
      debut('2026-04-16', 'RFF', 700),
    ]);
    expect(list.map((r) => [r.regime, r.debut, r.fin])).toEqual([
      ['AREF', '2026-02-02', '2026-04-15'],
      ['RFF', '2026-04-16', null],
    ]);
    // A late payment for March goes to the AREF period.
    const paid = applyPay(list, paiement('2026-03', 1100), entered, ASP);
    expect(paid.ok && paid.remunerations.map((r) => r.totalVerse)).toEqual([1100, 0]);
    const other = run([debut('2026-02-02', 'AREF'), fin('2026-03-01', 'ABANDON')]);
    const after = applyPay(other, debut('2026-03-02', 'RFF'), entered, ASP);
    expect(after.ok ? null : after.error.code).toBe('INVALID_TRANSITION');
    const overlap = applyPay(
      run([debut('2026-02-02', 'AREF'), fin('2026-04-15', 'FIN_DROITS')]),
      debut('2026-04-10', 'RFF'),
      entered,
      ASP,
    );
    expect(overlap.ok ? null : overlap.error.code).toBe('INCOHERENT_DATE');
  });
});

describe("the dossier's life on its pay", () => {
  it('suspends the open period while interrupted, resumes it, and ends it at the exit', () => {
    const list = run([debut('2026-02-02')]);
    const interrupted = onDossierChange(list, { ...entered, interrompu: true });
    expect(interrupted[0]!.suspendue).toBe(true);
    const resumed = onDossierChange(interrupted, entered);
    expect(resumed[0]!.suspendue).toBe(false);
    const exited = onDossierChange(interrupted, { ...entered, sortie: '2026-05-29' });
    expect(exited[0]).toMatchObject({ fin: '2026-05-29', motifFin: 'FIN_FORMATION', suspendue: false });
    // An abandonment ends it as one; an exclusion or an exit for a job as another end.
    const exit = (motifSortie: 'ABANDON' | 'EXCLUSION' | 'ACCES_EMPLOI') =>
      onDossierChange(list, { ...entered, sortie: '2026-05-29', motifSortie })[0]!.motifFin;
    expect([exit('ABANDON'), exit('EXCLUSION'), exit('ACCES_EMPLOI')]).toEqual(['ABANDON', 'AUTRE', 'AUTRE']);
    // A period its remunerator ended keeps its own end.
    const ended = run([debut('2026-02-02'), fin('2026-04-30', 'ABANDON')]);
    expect(onDossierChange(ended, { ...entered, sortie: '2026-05-29' })).toEqual(ended);
    // No new period once exited; one started during an interruption starts suspended.
    const late = applyPay([], debut('2026-06-01'), { ...entered, sortie: '2026-05-29' }, ASP);
    expect(late.ok ? null : late.error.code).toBe('INVALID_TRANSITION');
    expect(run([debut('2026-03-01')], { ...entered, interrompu: true })[0]!.suspendue).toBe(true);
  });
});

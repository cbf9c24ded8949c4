import type { DomainError } from './codes';
import type { MotifSortie, RemunerationMotifFin, RemunerationRegime } from './code-lists';

/**
 * A trainee's pay during training (CONTRACT.md, "Trainee remuneration"): the periods of pay its
 * remunerator reports, and what the dossier's own life does to them (an interruption suspends the
 * open one, a resumption resumes it, an exit ends it). Pure; the dossier's transition applies it.
 */

/** One period of pay, as the dossier shows it. */
export interface Remuneration {
  regime: RemunerationRegime;
  remunerateurSiret: string;
  debut: string;
  fin: string | null;
  montantMensuel: number;
  /** The sum of the payments reported for it, in euros (cents kept exact). */
  totalVerse: number;
  suspendue: boolean;
  motifFin?: RemunerationMotifFin;
}

/** What the dossier tells the pay rules: its entry, exit, and whether it is interrupted now. */
export interface PayContext {
  entree: string | null;
  sortie: string | null;
  /** The exit's motif (SORTIE): an abandonment ends the pay as ABANDON. */
  motifSortie?: MotifSortie | null;
  interrompu: boolean;
  /** The closure date: a dossier closed without an exit (cancelled before the entry) ends its pay. */
  cloture?: string | null;
}

export type PayEvent =
  | { type: 'REMUNERATION_DEBUT'; date: string; regime: RemunerationRegime; montantMensuel: number }
  | { type: 'REMUNERATION_PAIEMENT'; date: string; mois: string; montant: number }
  | { type: 'REMUNERATION_FIN'; date: string; motif: RemunerationMotifFin };

type PayResult = { ok: true; remunerations: Remuneration[] } | { ok: false; error: DomainError };

const refuse = (code: DomainError['code'], message: string, details?: unknown): PayResult => ({
  ok: false,
  error: { code, message, ...(details === undefined ? {} : { details }) },
});
const cents = (n: number) => Math.round(n * 100);
const open = (list: readonly Remuneration[]) => list.find((r) => r.fin === null);

/** A remunerator's event on the dossier's pay: the periods after it, or why it is refused. */
export function applyPay(
  list: readonly Remuneration[],
  event: PayEvent,
  ctx: PayContext,
  remunerateurSiret: string,
): PayResult {
  const current = open(list);
  switch (event.type) {
    case 'REMUNERATION_DEBUT': {
      if (current) {
        return refuse(
          'INVALID_TRANSITION',
          `a ${current.regime} period is open since ${current.debut}: end it first`,
          {
            regime: current.regime,
          },
        );
      }
      if (ctx.entree !== null && event.date < ctx.entree) {
        return refuse('INCOHERENT_DATE', `pay starts no earlier than the entry ${ctx.entree}`, {
          field: 'date',
          date: event.date,
          previous: ctx.entree,
        });
      }
      if (ctx.sortie !== null) {
        return refuse('INVALID_TRANSITION', 'the trainee has exited: no new period of pay', {
          sortie: ctx.sortie,
        });
      }
      const last = list[list.length - 1];
      // After a first period, only an RFF following an AREF whose rights ran out.
      if (last && !(last.regime === 'AREF' && last.motifFin === 'FIN_DROITS' && event.regime === 'RFF')) {
        return refuse(
          'INVALID_TRANSITION',
          'a new period of pay follows only an AREF ended FIN_DROITS, as an RFF',
          { previous: last.regime, motifFin: last.motifFin ?? null, regime: event.regime },
        );
      }
      if (last && event.date < last.fin!) {
        return refuse(
          'INCOHERENT_DATE',
          `the new period starts before the previous one ended (${last.fin})`,
          {
            field: 'date',
            date: event.date,
            previous: last.fin,
          },
        );
      }
      return {
        ok: true,
        remunerations: [
          ...list,
          {
            regime: event.regime,
            remunerateurSiret,
            debut: event.date,
            fin: null,
            montantMensuel: event.montantMensuel,
            totalVerse: 0,
            suspendue: ctx.interrompu,
          },
        ],
      };
    }
    case 'REMUNERATION_PAIEMENT': {
      if (ctx.entree !== null && event.date < ctx.entree) {
        return refuse('INCOHERENT_DATE', `a payment is dated no earlier than the entry ${ctx.entree}`, {
          field: 'date',
          date: event.date,
          previous: ctx.entree,
        });
      }
      // A month is paid once it has begun, not ahead.
      if (event.mois > event.date.slice(0, 7)) {
        return refuse(
          'INCOHERENT_DATE',
          `a payment dated ${event.date} cannot pay the month ${event.mois} ahead`,
          {
            field: 'mois',
            date: event.mois,
            previous: event.date.slice(0, 7),
          },
        );
      }
      // A payment goes to the period covering its month (a late one to a period since ended).
      const covers = (r: Remuneration) =>
        r.debut.slice(0, 7) <= event.mois && (r.fin === null || r.fin.slice(0, 7) >= event.mois);
      let i = -1;
      for (let k = list.length - 1; k >= 0 && i < 0; k--) if (covers(list[k]!)) i = k;
      if (i < 0) {
        return refuse('INVALID_TRANSITION', `no period of pay covers ${event.mois}`, { mois: event.mois });
      }
      return {
        ok: true,
        remunerations: list.map((r, k) =>
          k === i ? { ...r, totalVerse: (cents(r.totalVerse) + cents(event.montant)) / 100 } : r,
        ),
      };
    }
    case 'REMUNERATION_FIN': {
      if (!current) return refuse('INVALID_TRANSITION', 'no period of pay is open', {});
      if (event.date < current.debut) {
        return refuse('INCOHERENT_DATE', `the period started on ${current.debut}`, {
          field: 'date',
          date: event.date,
          previous: current.debut,
        });
      }
      return {
        ok: true,
        remunerations: list.map((r) =>
          r === current ? { ...r, fin: event.date, motifFin: event.motif, suspendue: false } : r,
        ),
      };
    }
  }
}

/**
 * How an exit ends the pay: at the end of the training, or as an abandonment; an exclusion or an
 * early exit for a job is another end (AUTRE).
 */
export function payEndOnExit(motif: MotifSortie | null | undefined): RemunerationMotifFin {
  if (motif === 'ABANDON') return 'ABANDON';
  if (motif === 'EXCLUSION' || motif === 'ACCES_EMPLOI' || motif === 'AUTRE') return 'AUTRE';
  return 'FIN_FORMATION';
}

/**
 * The dossier's own life on its pay: a period declared before the entry starts at the entry,
 * suspended while interrupted, ended at the exit.
 */
export function onDossierChange(list: readonly Remuneration[], ctx: PayContext): Remuneration[] {
  return list.map((open) => {
    if (open.fin !== null) return open;
    const r = ctx.entree !== null && open.debut < ctx.entree ? { ...open, debut: ctx.entree } : open;
    if (ctx.sortie !== null) {
      return {
        ...r,
        fin: ctx.sortie < r.debut ? r.debut : ctx.sortie,
        motifFin: payEndOnExit(ctx.motifSortie),
        suspendue: false,
      };
    }
    if (ctx.cloture) {
      return {
        ...r,
        fin: ctx.cloture < r.debut ? r.debut : ctx.cloture,
        motifFin: 'AUTRE',
        suspendue: false,
      };
    }
    return r.suspendue === ctx.interrompu ? r : { ...r, suspendue: ctx.interrompu };
  });
}

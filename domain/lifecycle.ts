import type { DomainError } from './codes';
import type { DossierStatus, Issue, MotifSortie, Realisation } from './code-lists';
import { DOSSIER_STATUSES } from './code-lists';
import { addDays } from './dates';
import type { DossierState } from './dossier-state';
import { lastBusinessDate } from './dossier-state';
import type { EventType, RecordEvent, RectificationChanges } from './schemas';
import { recordResult } from './certification';
import type { PayContext } from './remuneration';
import { applyPay } from './remuneration';

/** What an accepted event adds to the history besides its identity. */
export interface EntryData {
  data?: Record<string, unknown>;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** A state machine's answer (the dossier's here, a CEP period's in cep-lifecycle.ts). */
export type TransitionResult<S = DossierState> =
  { ok: true; state: S; entry: EntryData } | { ok: false; error: DomainError };

export interface Clock {
  /** The instant the decision is made, ISO 8601 (the workflow's deterministic clock). */
  now: string;
}

export const refuse = (
  code: DomainError['code'],
  message: string,
  details?: unknown,
): { ok: false; error: DomainError } => ({
  ok: false,
  error: { code, message, details },
});

/** Events may be dated at most one day ahead of today (partners in other time zones). */
export function latestAllowedDate(clock: Clock): string {
  return addDays(clock.now.slice(0, 10), 1);
}

export function checkNotFuture(date: string, clock: Clock, field = 'date'): DomainError | null {
  const latest = latestAllowedDate(clock);
  if (date <= latest) return null;
  return {
    code: 'INCOHERENT_DATE',
    message: `${field} ${date} is in the future: the latest accepted date is ${latest}`,
    details: { field, date, previous: latest },
  };
}

/**
 * Each event type's rules but what it changes (that is `transition` below): who sends it and in
 * which states it is allowed. A new event type gets a line here, or `tsc` fails.
 * `sentBy`: the dossier's financeurs only, its organisme too, its remunerator (the pay), or a
 * certifier whose result the platform matched to the dossier (domain/authorization.ts applies it).
 * `ownDates`: the event's date is not a step of the lifecycle (a payment, an obtention): it is not
 * held to the dossier's previous business date, its own rules check it.
 */
export const EVENT_RULES: Record<
  EventType,
  {
    sentBy: 'FINANCEUR' | 'ORGANISME_OR_FINANCEUR' | 'REMUNERATEUR' | 'CERTIFICATEUR';
    allowedIn: readonly DossierStatus[];
    interrompu?: boolean;
    ownDates?: true;
  }
> = {
  VALIDATION: { sentBy: 'FINANCEUR', allowedIn: ['EN_COURS_ELABORATION'] },
  ENTREE: { sentBy: 'ORGANISME_OR_FINANCEUR', allowedIn: ['VALIDE'] },
  INTERRUPTION: { sentBy: 'ORGANISME_OR_FINANCEUR', allowedIn: ['ENTRE'], interrompu: false },
  REPRISE: { sentBy: 'ORGANISME_OR_FINANCEUR', allowedIn: ['ENTRE'], interrompu: true },
  SORTIE: { sentBy: 'ORGANISME_OR_FINANCEUR', allowedIn: ['ENTRE'] },
  CLOTURE: { sentBy: 'FINANCEUR', allowedIn: ['EN_COURS_ELABORATION', 'VALIDE', 'SORTI'] },
  ANNULATION: { sentBy: 'FINANCEUR', allowedIn: ['EN_COURS_ELABORATION', 'VALIDE'] },
  RECTIFICATION: { sentBy: 'ORGANISME_OR_FINANCEUR', allowedIn: DOSSIER_STATUSES },
  REMUNERATION_DEBUT: { sentBy: 'REMUNERATEUR', allowedIn: ['VALIDE', 'ENTRE'], ownDates: true },
  REMUNERATION_PAIEMENT: { sentBy: 'REMUNERATEUR', allowedIn: ['ENTRE', 'SORTI'], ownDates: true },
  REMUNERATION_FIN: { sentBy: 'REMUNERATEUR', allowedIn: ['ENTRE', 'SORTI'], ownDates: true },
  CERTIFICATION: { sentBy: 'CERTIFICATEUR', allowedIn: DOSSIER_STATUSES, ownDates: true },
};

/** What the dossier tells its pay rules (domain/remuneration.ts). */
export function payContext(state: DossierState): PayContext {
  return {
    entree: state.dates.entree,
    sortie: state.dates.sortie,
    motifSortie: state.sortie?.motif ?? null,
    interrompu: state.interrompu,
    cloture: state.status === 'CLOS' && state.dates.sortie === null ? state.dates.cloture : null,
  };
}

function allowed(state: DossierState, type: EventType): boolean {
  const rule = EVENT_RULES[type];
  return (
    rule.allowedIn.includes(state.status) &&
    (rule.interrompu === undefined || rule.interrompu === state.interrompu)
  );
}

/** "VALIDE", "EN_COURS_ELABORATION, VALIDE or SORTI"; "every state" when they are all of `every`. */
export function statesInWords(states: readonly string[], every: readonly string[]): string {
  if (states.length === every.length) return 'every state';
  return states.length === 1
    ? states[0]!
    : `${states.slice(0, -1).join(', ')} or ${states[states.length - 1]}`;
}

/** "ENTRE and not interrupted", "EN_COURS_ELABORATION, VALIDE or SORTI", "every state". */
function allowedText(type: EventType): string {
  const { allowedIn, interrompu } = EVENT_RULES[type];
  const states = statesInWords(allowedIn, DOSSIER_STATUSES);
  if (interrompu === undefined || states === 'every state') return states;
  return `${states} and ${interrompu ? '' : 'not '}interrupted`;
}

/** The outcome of a closure when the partner does not say it (CONTRACT.md). */
export function defaultRealisation(sortieMotif: MotifSortie | null): Realisation {
  if (sortieMotif === null) return 'NON_REALISEE';
  return sortieMotif === 'FIN_FORMATION' || sortieMotif === 'ACCES_EMPLOI' ? 'TOTALE' : 'PARTIELLE';
}

const ISSUE_OF: Record<Realisation, Issue> = {
  TOTALE: 'REALISATION_TOTALE',
  PARTIELLE: 'REALISATION_PARTIELLE',
  NON_REALISEE: 'NON_REALISEE',
};

/**
 * The lifecycle state machine: the new state, or the reason the event is refused.
 * Pure: the same state, event and clock always give the same answer.
 */
export function transition(state: DossierState, event: RecordEvent, clock: Clock): TransitionResult {
  if (!allowed(state, event.type)) {
    const where = state.interrompu ? `${state.status} (interrupted)` : state.status;
    return refuse(
      'INVALID_TRANSITION',
      `${event.type} is not allowed while the dossier is ${where}; it is allowed in ${allowedText(event.type)}`,
      { state: state.status, interrompu: state.interrompu, event: event.type },
    );
  }
  // A certifier's result is dated by its dateObtention (CONTRACT.md, "Certification results").
  const future = checkNotFuture(event.date, clock, event.type === 'CERTIFICATION' ? 'dateObtention' : 'date');
  if (future) return { ok: false, error: future };
  const previous = lastBusinessDate(state);
  if (!EVENT_RULES[event.type].ownDates && event.date < previous) {
    return refuse(
      'INCOHERENT_DATE',
      `${event.type} is dated ${event.date}, before the dossier's previous business date ${previous}`,
      { field: 'date', date: event.date, previous },
    );
  }

  const next: DossierState = { ...state, version: state.version + 1 };
  switch (event.type) {
    case 'VALIDATION':
      next.status = 'VALIDE';
      next.dates = { ...state.dates, validation: event.date };
      if (event.financements) next.financements = event.financements;
      return {
        ok: true,
        state: next,
        entry: event.financements ? { data: { financements: event.financements } } : {},
      };
    case 'ENTREE':
      next.status = 'ENTRE';
      next.dates = { ...state.dates, entree: event.date };
      return { ok: true, state: next, entry: {} };
    case 'INTERRUPTION':
      next.interrompu = true;
      next.interruptions = [
        ...state.interruptions,
        { date: event.date, ...(event.motif ? { motif: event.motif } : {}), reprise: null },
      ];
      return { ok: true, state: next, entry: event.motif ? { data: { motif: event.motif } } : {} };
    case 'REPRISE': {
      next.interrompu = false;
      const list = [...state.interruptions];
      const last = list.pop();
      if (last) list.push({ ...last, reprise: event.date });
      next.interruptions = list;
      return { ok: true, state: next, entry: {} };
    }
    case 'SORTIE': {
      next.status = 'SORTI';
      // An exit ends a running interruption: the trainee is no longer in training.
      next.interrompu = false;
      next.dates = { ...state.dates, sortie: event.date };
      next.sortie = {
        motif: event.motif,
        ...(event.heuresRealisees !== undefined ? { heuresRealisees: event.heuresRealisees } : {}),
      };
      return { ok: true, state: next, entry: { data: { ...next.sortie } } };
    }
    case 'CLOTURE': {
      const entered = state.dates.entree !== null;
      const realisation = event.realisation ?? defaultRealisation(state.sortie?.motif ?? null);
      if (!entered && realisation !== 'NON_REALISEE') {
        return refuse(
          'INVALID_TRANSITION',
          `realisation ${realisation} is impossible: the trainee never entered training (use NON_REALISEE or omit it)`,
          { state: state.status, interrompu: state.interrompu, event: event.type },
        );
      }
      let financements = state.financements;
      if (event.montantsRealises) {
        const known = new Set(state.financements.map((f) => f.financeurSiret));
        const unknown = event.montantsRealises.find((m) => !known.has(m.financeurSiret));
        if (unknown) {
          return refuse(
            'VALIDATION_ERROR',
            `montantsRealises names ${unknown.financeurSiret}, not a financeur of the dossier`,
            [
              {
                path: 'montantsRealises',
                message: `${unknown.financeurSiret} is not a financeur of this dossier`,
              },
            ],
          );
        }
        const realised = new Map(event.montantsRealises.map((m) => [m.financeurSiret, m.montant]));
        financements = state.financements.map((f) =>
          realised.has(f.financeurSiret) ? { ...f, montantRealise: realised.get(f.financeurSiret) } : f,
        );
      }
      next.status = 'CLOS';
      next.issue = ISSUE_OF[realisation];
      next.financements = financements;
      next.dates = { ...state.dates, cloture: event.date };
      return {
        ok: true,
        state: next,
        entry: {
          data: {
            realisation,
            ...(event.montantsRealises ? { montantsRealises: event.montantsRealises } : {}),
          },
        },
      };
    }
    case 'ANNULATION':
      next.status = 'CLOS';
      next.issue = 'NON_REALISEE';
      next.dates = { ...state.dates, cloture: event.date };
      return { ok: true, state: next, entry: event.motif ? { data: { motif: event.motif } } : {} };
    case 'RECTIFICATION':
      return rectify(state, next, event.changes, clock);
    case 'REMUNERATION_DEBUT':
    case 'REMUNERATION_PAIEMENT':
    case 'REMUNERATION_FIN': {
      const where = { state: state.status, interrompu: state.interrompu, event: event.type };
      if (!state.remunerateurSiret) {
        return refuse(
          'INVALID_TRANSITION',
          'the dossier names no remunerator: a financeur sets its remunerateurSiret first',
          where,
        );
      }
      const pay = applyPay(state.remunerations, event, payContext(state), state.remunerateurSiret);
      if (!pay.ok) {
        const { error } = pay;
        return error.code === 'INVALID_TRANSITION'
          ? refuse(error.code, error.message, { ...where, ...(error.details as object) })
          : { ok: false, error };
      }
      next.remunerations = pay.remunerations;
      const { eventId: _id, type: _type, date: _date, ...data } = event;
      return { ok: true, state: next, entry: { data } };
    }
    case 'CERTIFICATION': {
      // A result belongs to the dossier of that certification: never another one's, never replaced.
      if (state.action.certification !== event.certification) {
        return refuse(
          'NO_MATCH',
          `no dossier ${state.dossierId} aims at ${event.certification}: check the titulaire's dossierId and the certification`,
          { dossierId: state.dossierId, certification: event.certification },
        );
      }
      next.certification = recordResult(state.certification, { ...event, dateObtention: event.date });
      const { eventId: _id, type: _type, date: _date, ...data } = event;
      return { ok: true, state: next, entry: { data } };
    }
  }
}

const DATE_ORDER = ['creation', 'validation', 'entree', 'sortie', 'cloture'] as const;

function rectify(
  state: DossierState,
  next: DossierState,
  changes: RectificationChanges,
  clock: Clock,
): TransitionResult {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};

  if (changes.dates) {
    const dates = { ...state.dates };
    const b: Record<string, unknown> = {};
    for (const field of DATE_ORDER) {
      const value = changes.dates[field];
      if (value === undefined) continue;
      if (state.dates[field] === null) {
        return refuse(
          'INCOHERENT_DATE',
          `dates.${field} cannot be corrected: the dossier has no ${field} yet`,
          {
            field: `dates.${field}`,
            date: value,
            previous: null,
          },
        );
      }
      const future = checkNotFuture(value, clock, `dates.${field}`);
      if (future) return { ok: false, error: future };
      b[field] = state.dates[field];
      dates[field] = value;
    }
    // The corrected dates must still follow the lifecycle's order.
    let previous: { field: string; date: string } | null = null;
    for (const field of DATE_ORDER) {
      const date = dates[field];
      if (date === null) continue;
      if (previous && date < previous.date) {
        return refuse(
          'INCOHERENT_DATE',
          `dates.${field} ${date} would be before dates.${previous.field} ${previous.date}`,
          {
            field: `dates.${field}`,
            date,
            previous: previous.date,
          },
        );
      }
      previous = { field, date };
    }
    next.dates = dates;
    before.dates = b;
    after.dates = changes.dates;
  }
  if (changes.stagiaire) {
    before.stagiaire = pick(state.stagiaire, Object.keys(changes.stagiaire));
    next.stagiaire = { ...state.stagiaire, ...definedOnly(changes.stagiaire) };
    after.stagiaire = changes.stagiaire;
  }
  if (changes.organisme) {
    before.organisme = pick(state.organisme, Object.keys(changes.organisme));
    next.organisme = { ...state.organisme, ...definedOnly(changes.organisme) };
    after.organisme = changes.organisme;
  }
  if (changes.action) {
    const action = { ...state.action, ...definedOnly(changes.action) };
    if (action.dateFinPrevue < action.dateDebutPrevue) {
      return refuse(
        'INCOHERENT_DATE',
        `action.dateFinPrevue ${action.dateFinPrevue} would be before action.dateDebutPrevue`,
        {
          field: 'action.dateFinPrevue',
          date: action.dateFinPrevue,
          previous: action.dateDebutPrevue,
        },
      );
    }
    before.action = pick(state.action, Object.keys(changes.action));
    next.action = action;
    after.action = changes.action;
  }
  if (changes.financements) {
    before.financements = state.financements;
    next.financements = changes.financements;
    after.financements = changes.financements;
  }
  if (changes.sortie) {
    if (!state.sortie) {
      return refuse('INVALID_TRANSITION', 'sortie cannot be corrected: the trainee has not exited', {
        state: state.status,
        interrompu: state.interrompu,
        event: 'RECTIFICATION',
      });
    }
    before.sortie = pick(state.sortie, Object.keys(changes.sortie));
    next.sortie = { ...state.sortie, ...definedOnly(changes.sortie) };
    after.sortie = changes.sortie;
  }
  if (changes.remunerateurSiret !== undefined) {
    before.remunerateurSiret = state.remunerateurSiret ?? null;
    next.remunerateurSiret = changes.remunerateurSiret;
    after.remunerateurSiret = changes.remunerateurSiret;
  }
  return { ok: true, state: next, entry: { before, after } };
}

function pick(obj: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (obj as Record<string, unknown>)[k] ?? null;
  return out;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { CepStatut } from './code-lists';
import { CEP_STATUTS } from './code-lists';
import type { CepEvent, CepEventType } from './cep-schemas';
import type { CepState } from './cep-state';
import { addDays, addMonths, maxDate } from './dates';
import type { Clock, TransitionResult } from './lifecycle';
import { checkNotFuture, refuse, statesInWords } from './lifecycle';

/** A period's state stays bounded: its workflow holds every prescription. */
export const MAX_PRESCRIPTIONS = 100;

/** A period with no event for this many months closes by itself, motif SANS_NOUVELLES. */
export const INACTIVITY_MONTHS = 6;

/**
 * Each CEP event type's states (CONTRACT.md, "CEP periods"). A new event type gets a line here,
 * or `tsc` fails. Only the period's operator sends events (domain/authorization.ts).
 */
export const CEP_EVENT_RULES: Record<CepEventType, { allowedIn: readonly CepStatut[] }> = {
  SERVICE: { allowedIn: ['OUVERTE', 'ACCOMPAGNEMENT'] },
  ACCOMPAGNEMENT: { allowedIn: ['OUVERTE'] },
  PRESCRIPTION: { allowedIn: ['OUVERTE', 'ACCOMPAGNEMENT'] },
  CLOTURE: { allowedIn: ['OUVERTE', 'ACCOMPAGNEMENT'] },
  RECTIFICATION: { allowedIn: CEP_STATUTS },
};

/**
 * A closed period whose follow-up is over still takes its operator's late news for this many days
 * after its latest change (a period backfilled from the operator's files closes by itself at once
 * and finds its months long gone: its events come right after its opening).
 */
export const LATE_NEWS_DAYS = 30;

/** The day a closed period's workflow may end, its follow-up over: its latest change + LATE_NEWS_DAYS. */
export function lateNewsUntil(state: CepState): string {
  return addDays(state.updatedAt.slice(0, 10), LATE_NEWS_DAYS);
}

/** The day an open period closes by itself: six months after its latest event; null once closed. */
export function inactivityClosureDate(state: CepState): string | null {
  return state.statut === 'CLOSE' ? null : addMonths(state.dates.dernierEvenement, INACTIVITY_MONTHS);
}

/** The period closed by itself on `inactivityClosureDate` (the workflow's durable timer fired). */
export function closeForInactivity(state: CepState, clock: Clock): CepState {
  const on = inactivityClosureDate(state);
  if (on === null) return state;
  return {
    ...state,
    statut: 'CLOSE',
    motifCloture: 'SANS_NOUVELLES',
    dates: { ...state.dates, cloture: on },
    version: state.version + 1,
    updatedAt: clock.now,
  };
}

/**
 * An event that comes after the period closed by itself, dated before that closure: the
 * operator's late news. It reopens nothing, but what it tells is recorded (services, a
 * prescription, the accompaniment, or an earlier closure with the operator's motif).
 */
function isLateNews(state: CepState, event: CepEvent): boolean {
  return (
    state.statut === 'CLOSE' &&
    state.motifCloture === 'SANS_NOUVELLES' &&
    event.type !== 'RECTIFICATION' &&
    state.dates.cloture !== null &&
    event.date < state.dates.cloture
  );
}

/**
 * The CEP period's state machine: the new state, or the reason the event is refused. Pure: the same
 * state, event and clock always give the same answer.
 */
export function cepTransition(state: CepState, event: CepEvent, clock: Clock): TransitionResult<CepState> {
  const late = isLateNews(state, event);
  // Late news is judged in the state the period was in when it closed by itself.
  const statut: CepStatut = late ? (state.niveau === 2 ? 'ACCOMPAGNEMENT' : 'OUVERTE') : state.statut;
  if (!CEP_EVENT_RULES[event.type].allowedIn.includes(statut)) {
    return refuse(
      'INVALID_TRANSITION',
      `${event.type} is not allowed while the period is ${state.statut}; it is allowed in ${statesInWords(CEP_EVENT_RULES[event.type].allowedIn, CEP_STATUTS)}`,
      { state: state.statut, interrompu: false, event: event.type },
    );
  }
  const future = checkNotFuture(event.date, clock);
  if (future) return { ok: false, error: future };
  // Every event comes after the opening; a closure after every event recorded so far.
  const [previous, what] =
    event.type === 'CLOTURE'
      ? [state.dates.dernierEvenement, 'latest event']
      : [state.dates.ouverture, 'opening'];
  if (event.date < previous) {
    return refuse(
      'INCOHERENT_DATE',
      `${event.type} is dated ${event.date}, before the period's ${what} ${previous}`,
      {
        field: 'date',
        date: event.date,
        previous,
      },
    );
  }

  const next: CepState = {
    ...state,
    version: state.version + 1,
    updatedAt: clock.now,
    dates: { ...state.dates, dernierEvenement: maxDate(state.dates.dernierEvenement, event.date)! },
  };
  switch (event.type) {
    case 'SERVICE':
      next.services = { ...state.services, [event.service]: state.services[event.service] + 1 };
      return { ok: true, state: next, entry: { data: { service: event.service, modalite: event.modalite } } };
    case 'ACCOMPAGNEMENT':
      if (!late) next.statut = 'ACCOMPAGNEMENT';
      next.niveau = 2;
      next.objectif = event.objectif;
      next.dates = { ...next.dates, accompagnement: event.date };
      return { ok: true, state: next, entry: { data: { objectif: event.objectif } } };
    case 'PRESCRIPTION': {
      if (state.prescriptions.length >= MAX_PRESCRIPTIONS) {
        return refuse(
          'INVALID_TRANSITION',
          `a period holds at most ${MAX_PRESCRIPTIONS} prescriptions: open a new period to prescribe more`,
          { state: state.statut, interrompu: false, event: event.type },
        );
      }
      if (state.prescriptions.some((p) => p.prescriptionId === event.prescriptionId)) {
        return refuse(
          'ALREADY_EXISTS',
          `prescription ${event.prescriptionId} is already recorded on this period: correct it, or use a new prescriptionId`,
          { prescriptionId: event.prescriptionId },
        );
      }
      const { eventId: _e, type: _t, ...prescription } = event;
      next.prescriptions = [...state.prescriptions, { ...prescription, statut: 'EMISE' }];
      return { ok: true, state: next, entry: { data: { ...prescription } } };
    }
    case 'CLOTURE':
      next.statut = 'CLOSE';
      next.motifCloture = event.motif;
      next.dates = { ...next.dates, cloture: event.date };
      return { ok: true, state: next, entry: { data: { motif: event.motif } } };
    case 'RECTIFICATION':
      return rectify(state, next, event.changes);
  }
}

function rectify(
  state: CepState,
  next: CepState,
  changes: Extract<CepEvent, { type: 'RECTIFICATION' }>['changes'],
): TransitionResult<CepState> {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const set = <K extends 'situation' | 'region' | 'departement' | 'objectif' | 'motifCloture'>(
    key: K,
    value: CepState[K] | undefined,
  ) => {
    if (value === undefined || value === state[key]) return;
    before[key] = state[key];
    after[key] = value;
    next[key] = value;
  };
  set('situation', changes.situation);
  set('region', changes.region);
  set('departement', changes.departement);
  if (changes.objectif !== undefined && state.niveau !== 2) {
    return refuse('INVALID_TRANSITION', 'objectif is corrected on a period in accompaniment (level 2) only', {
      state: state.statut,
      interrompu: false,
      event: 'RECTIFICATION',
    });
  }
  set('objectif', changes.objectif);
  if (
    (changes.motifCloture !== undefined || changes.dates?.cloture !== undefined) &&
    state.statut !== 'CLOSE'
  ) {
    return refuse('INVALID_TRANSITION', 'a closure is corrected on a closed period only', {
      state: state.statut,
      interrompu: false,
      event: 'RECTIFICATION',
    });
  }
  set('motifCloture', changes.motifCloture);
  if (changes.beneficiaire) {
    const b = { ...state.beneficiaire, ...changes.beneficiaire };
    for (const k of ['nom', 'prenom', 'dateNaissance'] as const) {
      if (b[k] !== state.beneficiaire[k]) {
        before[`beneficiaire.${k}`] = state.beneficiaire[k];
        after[`beneficiaire.${k}`] = b[k];
      }
    }
    next.beneficiaire = b;
  }
  const dates = { ...next.dates, ...changes.dates };
  if (dates.cloture !== null && dates.cloture < dates.ouverture) {
    return refuse(
      'INCOHERENT_DATE',
      `the closure ${dates.cloture} would come before the opening ${dates.ouverture}`,
      {
        field: 'dates.cloture',
        date: dates.cloture,
        previous: dates.ouverture,
      },
    );
  }
  if (dates.accompagnement !== null && dates.accompagnement < dates.ouverture) {
    return refuse(
      'INCOHERENT_DATE',
      `the opening ${dates.ouverture} would come after the accompaniment ${dates.accompagnement}`,
      { field: 'dates.ouverture', date: dates.ouverture, previous: dates.accompagnement },
    );
  }
  for (const k of ['ouverture', 'cloture'] as const) {
    if (dates[k] !== state.dates[k]) {
      before[`dates.${k}`] = state.dates[k];
      after[`dates.${k}`] = dates[k];
    }
  }
  // An opening moved later than every event so far moves the inactivity clock with it.
  next.dates = { ...dates, dernierEvenement: maxDate(dates.dernierEvenement, dates.ouverture)! };
  if (Object.keys(after).length === 0) {
    return refuse('VALIDATION_ERROR', 'changes correct nothing: every value is the one the period holds', [
      { path: 'changes', message: 'no value differs from the period' },
    ]);
  }
  return { ok: true, state: next, entry: { before, after } };
}

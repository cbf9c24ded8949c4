import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import { historyPage, publicEntry } from '../domain/aggregate';
import type { LedgerKnowledge } from '../domain/aggregate';
import type { Actor } from '../domain/authorization';
import { authorizeCepOpen, canSeePeriod } from '../domain/authorization';
import { checkNotFuture } from '../domain/lifecycle';
import type { CepLedgerEntry } from '../domain/cep-aggregate';
import type { CepEvent, OpenPeriodBody } from '../domain/cep-schemas';
import type { CepState } from '../domain/cep-state';
import { createCepState } from '../domain/cep-state';
import { vouch } from '../domain/vouch';
import {
  cepLedgerKnowledge,
  closedPeriodsOf,
  isPurgedPeriod,
  readCepLedger,
  readCepRow,
  stateOfCepRecord,
} from '../db/cep-record';
import { bodyHash } from '../infra/canonical-hash';
import type { Logger } from '../infra/logger';
import type { CepEventMessage, CepEventResult } from '../workflows/cep-messages';
import {
  cepEventUpdate,
  cepFormationSignal,
  cepRecordQuery,
  cepStateQuery,
  cepWorkflowId,
} from '../workflows/cep-messages';
import { cepSearchAttributesOf } from '../workflows/search-attributes';
import { ApiError } from './errors';

/** A page of a period's history, with its operator (who alone may read it). */
export interface CepHistoryPage {
  operateurSiret: string;
  events: Omit<CepLedgerEntry, 'bodyHash'>[];
  nextSeq: number | null;
}

/** The API's only door to the CEP periods: their workflows while they live, their record always. */
export interface CepGateway {
  open(
    body: OpenPeriodBody,
    actor: Extract<Actor, { admin: false }>,
    receivedAt: string,
  ): Promise<{ created: boolean; state: CepState }>;
  send(periodeId: string, event: CepEvent, actor: Actor, receivedAt: string): Promise<CepEventResult>;
  /** The period, from its workflow while it lives, else its record; null: no such period. */
  find(periodeId: string): Promise<CepState | null>;
  history(periodeId: string, page: { afterSeq: number; limit: number }): Promise<CepHistoryPage>;
  /**
   * A dossier of this person (the NIR's keyed hash) was entered: the follow-ups of the person's
   * closed periods read their entries again. Never fails the caller: a period that missed it reads
   * them again at its next point.
   */
  wakeFollowUps(nirHash: Buffer): Promise<void>;
}

const CALL_TIMEOUT_MS = 15_000;

/** The one answer for a period that does not exist and one the caller may not see. */
export const periodNotFound = (periodeId: string) => new ApiError('NOT_FOUND', `no CEP period ${periodeId}`);
const eventIdConflict = (eventId: string) =>
  new ApiError(
    'EVENT_ID_CONFLICT',
    `eventId ${eventId} was already used with a different body; use a new eventId for a new event`,
    { eventId },
  );

/**
 * Open a period as `actor`, with every check of `POST /v1/cep/periodes` (the API's and the CLI's
 * one way in): an operator's, not in the future, continuing a period that exists.
 */
export async function openChecked(gateway: CepGateway, actor: Actor, body: OpenPeriodBody, now: Date) {
  const denied = authorizeCepOpen(actor);
  if (denied || actor.admin) throw ApiError.from(denied ?? { code: 'FORBIDDEN', message: 'not an operator' });
  const future = checkNotFuture(body.date, { now: now.toISOString() });
  if (future) throw ApiError.from(future);
  if (body.periodePrecedente !== undefined && !(await gateway.find(body.periodePrecedente))) {
    throw new ApiError(
      'NO_MATCH',
      `periodePrecedente ${body.periodePrecedente} names no CEP period of the platform: name the period this one continues by the id its operator opened it with`,
      { periodePrecedente: body.periodePrecedente },
    );
  }
  return gateway.open(body, actor, now.toISOString());
}

export function createCepGateway(deps: {
  client: Client;
  orm: MikroORM;
  taskQueue: string;
  unseal: (sealed: Buffer) => string;
  vouchKey: string;
  logger?: Logger;
}): CepGateway {
  const { client, orm, taskQueue } = deps;
  const handle = (periodeId: string) => client.workflow.getHandle(cepWorkflowId(periodeId));
  const bounded = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, fn);

  const fromRecord = async (periodeId: string): Promise<CepState | null> => {
    const row = await readCepRow(orm.em.fork(), periodeId);
    return row ? stateOfCepRecord(row.data, deps.unseal(row.nirSealed)) : null;
  };
  const find = async (periodeId: string): Promise<CepState | null> => {
    try {
      return await handle(periodeId).query(cepStateQuery);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      return fromRecord(periodeId);
    }
  };

  /**
   * The period and its opening's entry (seq 1), in one question to its workflow while it lives
   * (the entry is there until written), else from its record and ledger; nulls: none.
   */
  const withOpening = async (periodeId: string) => {
    let state: CepState | null;
    let first: { eventId: string; bodyHash: string } | undefined;
    try {
      const live = await handle(periodeId).query(cepRecordQuery);
      state = live.state;
      first = live.entries.find((e) => e.seq === 1);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      state = await fromRecord(periodeId);
    }
    first ??= (await readCepLedger(orm.em.fork(), periodeId, 0, 1))[0];
    return { state, first: first ?? null };
  };

  /** An id already taken: the same opening again answers the period, anything else is refused. */
  const reopened = async (body: OpenPeriodBody, hash: string, actor: Actor) => {
    const { state, first } = await withOpening(body.periodeId);
    if (!first || !state || first.eventId !== body.eventId || !canSeePeriod(actor, state.operateurSiret)) {
      throw new ApiError(
        'ALREADY_EXISTS',
        `CEP period ${body.periodeId} already exists, opened by another event`,
        { periodeId: body.periodeId },
      );
    }
    if (first.bodyHash !== hash) throw eventIdConflict(body.eventId);
    return { created: false, state };
  };

  const gateway: Omit<CepGateway, 'wakeFollowUps'> = {
    async open(body, actor, receivedAt) {
      const hash = bodyHash(body);
      // A period's id is never reused: its record outlives its workflow, its id its record.
      if (await readCepRow(orm.em.fork(), body.periodeId)) return reopened(body, hash, actor);
      if (await isPurgedPeriod(orm.em.fork(), body.periodeId)) {
        throw new ApiError(
          'ALREADY_EXISTS',
          `CEP period ${body.periodeId} existed: its record was deleted at the end of its retention, and its id is not reused`,
          { periodeId: body.periodeId },
        );
      }
      const initial = createCepState(body, actor.siret, receivedAt);
      try {
        await client.workflow.start('cepWorkflow', {
          workflowId: cepWorkflowId(body.periodeId),
          taskQueue,
          args: [{ open: { body, bodyHash: hash, actor, receivedAt }, vouchKey: deps.vouchKey }],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: cepSearchAttributesOf(initial),
          // Business keys only, never personal data.
          staticSummary: `Période CEP ${body.periodeId} · région ${body.region}`,
          staticDetails: `Opérateur ${actor.siret}\nOuverte le ${body.date}`,
        });
      } catch (e) {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        return reopened(body, hash, actor);
      }
      return { created: true, state: initial };
    },

    async send(periodeId, event, actor, receivedAt) {
      const hash = bodyHash(event);
      const ledger: LedgerKnowledge | undefined = await cepLedgerKnowledge(orm.em.fork(), periodeId, {
        eventId: event.eventId,
        bodyHash: hash,
      }).catch((err: unknown) => {
        // Without the ledger the workflow still decides every event it knows of.
        deps.logger?.warn({ err }, 'CEP ledger unreadable: the workflow decides alone');
        return undefined;
      });
      const message: CepEventMessage = {
        event,
        bodyHash: hash,
        actor,
        receivedAt,
        ...(ledger ? { ledger } : {}),
      };
      let result: CepEventResult;
      try {
        result = await handle(periodeId).executeUpdate(cepEventUpdate, {
          args: [{ ...message, vouch: vouch(deps.vouchKey, cepWorkflowId(periodeId), message) }],
          updateId: event.eventId,
        });
      } catch (e) {
        if (
          e instanceof WorkflowUpdateFailedError &&
          (e.cause as ApplicationFailure | undefined)?.type === 'NOT_FOUND'
        )
          throw periodNotFound(periodeId);
        if (!(e instanceof WorkflowNotFoundError)) throw e;
        // No running workflow: no such period, or one whose life is over (its record remains).
        const state = await fromRecord(periodeId);
        if (!state || !canSeePeriod(actor, state.operateurSiret)) throw periodNotFound(periodeId);
        if (ledger?.eventHash === hash) return { outcome: 'duplicate', state, bodyHash: hash, entries: [] };
        if (ledger?.eventHash) throw eventIdConflict(event.eventId);
        throw new ApiError(
          'INVALID_TRANSITION',
          `CEP period ${periodeId} is closed and its follow-up is over: it takes no more events`,
          { state: state.statut, interrompu: false, event: event.type },
        );
      }
      // A resent Update id gets the first result without its validator running: whoever resends
      // another's eventId learns nothing, and a reused eventId with another body is told here.
      if (!canSeePeriod(actor, result.state.operateurSiret)) throw periodNotFound(periodeId);
      if (result.bodyHash !== hash) throw eventIdConflict(event.eventId);
      return result;
    },

    find,

    async history(periodeId, { afterSeq, limit }) {
      // Only its operator is needed of the period: the record's row, its NIR left sealed.
      let operateurSiret: string | undefined;
      let pending: Omit<CepLedgerEntry, 'bodyHash'>[] = [];
      try {
        const live = await handle(periodeId).query(cepRecordQuery);
        operateurSiret = live.state.operateurSiret;
        pending = live.entries.filter((e) => e.seq > afterSeq).map(publicEntry);
      } catch (e) {
        if (!(e instanceof WorkflowNotFoundError)) throw e;
        operateurSiret = (await readCepRow(orm.em.fork(), periodeId))?.data.operateurSiret;
      }
      if (operateurSiret === undefined) throw periodNotFound(periodeId);
      const stored = (await readCepLedger(orm.em.fork(), periodeId, afterSeq, limit + 1)).map(publicEntry);
      return { operateurSiret, ...historyPage(stored, pending, limit) };
    },
  };
  return {
    async wakeFollowUps(nirHash) {
      try {
        const ids = await closedPeriodsOf(orm.em.fork(), nirHash);
        await bounded(() =>
          Promise.all(
            ids.map((id) =>
              handle(id)
                .signal(cepFormationSignal)
                .catch((e: unknown) => {
                  // A period whose follow-up is over has ended: nothing to wake.
                  if (!(e instanceof WorkflowNotFoundError)) throw e;
                }),
            ),
          ),
        );
      } catch (err) {
        deps.logger?.warn({ err }, 'CEP follow-ups not woken: they read the entries at their next point');
      }
    },
    open: (...args) => bounded(() => gateway.open(...args)),
    send: (...args) => bounded(() => gateway.send(...args)),
    find: (...args) => bounded(() => gateway.find(...args)),
    history: (...args) => bounded(() => gateway.history(...args)),
  };
}

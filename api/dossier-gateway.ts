import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import type { OpenedIntent, ProjectedRecord, Projector } from '../db/projection-intents';
import type { RecordStore } from '../db/dossier-records';
import type { PendingLoad } from '../db/dossier-read-model';
import type { Logger } from '../infra/logger';
import { canSee, sourceOf } from '../domain/authorization';
import type { Actor } from '../domain/authorization';
import { publicEntry } from '../domain/dossier-aggregate';
import { historyPage } from '../domain/aggregate';
import type { DossierParties, DossierState } from '../domain/dossier-state';
import { createState, partiesOf } from '../domain/dossier-state';
import type { CreateDossierBody, HistoryEntry, RecordEvent } from '../domain/schemas';
import { searchAttributesOf } from '../workflows/search-attributes';
import type { EventMessage, EventResult } from '../workflows/dossier-messages';
import { monthsOwedBy } from '../domain/situations';
import {
  creationQuery,
  dossierWorkflowId,
  eventUpdate,
  eventsUpdate,
  recordQuery,
  stateQuery,
} from '../workflows/dossier-messages';
import type { BatchOutcome } from '../workflows/record-entity';
import { ApiError } from './errors';
import { bodyHash, sha256Hex } from '../infra/canonical-hash';
import { vouch } from '../domain/vouch';

/** A page of a dossier's history, with who may see it. */
export interface HistoryPage {
  parties: DossierParties;
  events: HistoryEntry[];
  /** The seq of the page's last entry when more follow. */
  nextSeq: number | null;
}

/**
 * The API's only door to the dossiers: their workflows while they live, their record in
 * PostgreSQL always (docs/ARCHITECTURE.md says which serves what).
 */
export interface DossierGateway {
  create(
    body: CreateDossierBody,
    actor: Actor,
    receivedAt: string,
    prescriptionOperateur?: string,
  ): Promise<{ created: boolean; state: DossierState }>;
  send(dossierId: string, event: RecordEvent, actor: Actor, receivedAt: string): Promise<EventResult>;
  /**
   * Several events of one dossier in one Update, in order (api/event-batches.ts): each answers
   * what `send` would have answered it, had it been sent alone after the ones before it.
   */
  sendBatch(
    dossierId: string,
    items: readonly { event: RecordEvent; actor: Actor; receivedAt: string }[],
  ): Promise<PromiseSettledResult<EventResult>[]>;
  state(dossierId: string): Promise<DossierState>;
  history(dossierId: string, page: { afterSeq: number; limit: number }): Promise<HistoryPage>;
}

/** No partner call waits longer than this for Temporal: it then answers 503, safe to retry. */
const CALL_TIMEOUT_MS = 15_000;

/** How long an intent may take to write before the workflow is left to project (database slow or down). */
const INTENT_TIMEOUT_MS = 1000;
/** After a failed intent, the database is not asked again for this long. */
const INTENT_PAUSE_MS = 5000;

const eventIdConflict = (eventId: string) =>
  new ApiError(
    'EVENT_ID_CONFLICT',
    `eventId ${eventId} was already used with a different body; use a new eventId for a new event`,
    { eventId },
  );
/** The one answer for a dossier that does not exist and one the caller may not see. */
export const notFound = (dossierId: string) => new ApiError('NOT_FOUND', `no dossier ${dossierId}`);

/**
 * The read model's side of each event: an intent before the workflow is reached (with what the
 * ledger knows of the event), the state and entries it answers projected after
 * (db/projection-intents.ts). When the database cannot take the intent, the call goes on and the
 * workflow projects, as it does for its own changes.
 */
function readModelWriter(projector: Projector, logger: Logger | undefined) {
  let pausedUntil = 0;
  return {
    /** An intent, or null when the workflow is to project (and look up every month itself). */
    async open(
      dossierId: string,
      event: { eventId: string; bodyHash: string },
      months: string[],
    ): Promise<OpenedIntent | null> {
      if (Date.now() < pausedUntil) return null;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          projector.openIntent(dossierId, event, months),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('intent timed out')), INTENT_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        // An intent written late is harmless: the sweeper projects the dossier's current state.
        pausedUntil = Date.now() + INTENT_PAUSE_MS;
        logger?.warn({ err }, 'read model unavailable: workflows project for now');
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
    async project(record: ProjectedRecord, intentId: string): Promise<void> {
      try {
        await projector.project(record, intentId);
      } catch (err) {
        // The intent stays: the sweeper projects it once the database is back.
        logger?.warn({ err, dossierId: record.state.dossierId }, 'projection left to the sweeper');
      }
    },
    /**
     * The call never changed the dossier (refused, or no workflow for the id): its intent goes,
     * and the months it registered. Kept when the outcome is unknown.
     */
    async drop(intentId: string, err: unknown, forget?: { dossierId: string; months: string[] }) {
      const refused =
        err instanceof WorkflowUpdateFailedError ||
        err instanceof WorkflowNotFoundError ||
        err instanceof WorkflowExecutionAlreadyStartedError;
      if (!refused) return;
      await projector.dropIntent(intentId, forget).catch(() => undefined);
    },
  };
}

export function createDossierGateway(deps: {
  client: Client;
  taskQueue: string;
  projector: Projector;
  records: RecordStore;
  /** The key the API vouches for its messages with (infra/pseudonym.ts, domain/vouch.ts). */
  vouchKey: string;
  logger?: Logger;
  /** Has a workflow take a load the wake-up wrote ahead of it (services/pending-loads.ts). */
  takeLoad?: (dossierId: string, load: PendingLoad) => Promise<void>;
}): DossierGateway {
  const { client, taskQueue, projector, records, logger } = deps;
  const handle = (dossierId: string) => client.workflow.getHandle(dossierWorkflowId(dossierId));
  const readModel = readModelWriter(projector, logger);
  const bounded = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, fn);

  /**
   * From the workflow while it lives (read your writes), else from the record; null: none. The
   * newer of the two: a closed dossier's workflow may have ended (Temporal answers queries of an
   * ended workflow for its retention) while the platform wrote its record since (a month loaded
   * again), and a month's wake-up writes the situations a load gives ahead of the workflow.
   */
  const current = async (dossierId: string): Promise<DossierState | null> => {
    // Read side by side. (PostgreSQL away: the workflow's answer stands.)
    const stored = records.state(dossierId).catch(() => null);
    try {
      const state = await handle(dossierId).query(stateQuery);
      const record = await stored;
      return record && record.version > state.version ? record : state;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      return records.state(dossierId);
    }
  };

  const start = async (
    body: CreateDossierBody,
    actor: Actor,
    receivedAt: string,
    intentId: string,
    prescriptionOperateur: string | undefined,
  ) => {
    const initial = createState(body, receivedAt, prescriptionOperateur);
    await client.workflow.start('dossierWorkflow', {
      workflowId: dossierWorkflowId(body.dossierId),
      taskQueue,
      args: [
        {
          create: {
            body,
            bodyHash: bodyHash(body),
            actor,
            receivedAt,
            ...(prescriptionOperateur ? { prescriptionOperateur } : {}),
          },
          callerProjects: true,
          vouchKey: deps.vouchKey,
        },
      ],
      // Ids are claimed in PostgreSQL for ever; the engine refuses a second run too while it keeps one.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributesOf(initial),
      // The line the Web UI shows for the dossier: business keys only, never personal data.
      staticSummary: `Dossier ${body.dossierId} · ${body.action.dispositif} · région ${body.action.region}`,
      staticDetails: [
        `Organisme ${body.organisme.siret}`,
        `Financeurs ${body.financements.map((f) => f.financeurSiret).join(', ')}`,
        `Action du ${body.action.dateDebutPrevue} au ${body.action.dateFinPrevue}`,
      ].join('\n'),
    });
    const entries = [
      {
        seq: 1,
        eventId: body.eventId,
        type: 'CREATION' as const,
        date: body.date,
        receivedAt,
        source: sourceOf(actor),
        version: 1,
        bodyHash: bodyHash(body),
      },
    ];
    await readModel.project({ state: initial, entries }, intentId);
    return initial;
  };

  /** An event's message to its workflow, with the read model's intent opened for it. */
  const prepare = async (dossierId: string, event: RecordEvent, actor: Actor, receivedAt: string) => {
    const hash = bodyHash(event);
    const months = monthsOwedBy(event);
    const intent = await readModel.open(dossierId, { eventId: event.eventId, bodyHash: hash }, months);
    // A load written ahead of the workflow is taken first: the event's state then has it.
    if (intent?.pendingLoad && deps.takeLoad) {
      await deps.takeLoad(dossierId, intent.pendingLoad).catch((err: unknown) => {
        logger?.warn({ err, dossierId }, 'a pending DSN load not signalled before an event');
      });
    }
    const extra: Partial<EventMessage> = intent ? { callerProjects: true, ledger: intent.ledger } : {};
    // Months known not loaded: the workflow records those points as waiting with no look-up.
    if (intent && intent.notLoaded.length > 0) extra.dsnNotLoaded = intent.notLoaded;
    const message: EventMessage = { event, bodyHash: hash, actor, receivedAt, ...extra };
    return {
      hash,
      intent,
      message: { ...message, vouch: vouch(deps.vouchKey, dossierId, message) } as EventMessage,
      actor,
    };
  };
  type Prepared = Awaited<ReturnType<typeof prepare>>;

  /** What the event's workflow answered: projected, and checked against a reused eventId. */
  const accepted = async (dossierId: string, p: Prepared, result: EventResult): Promise<EventResult> => {
    if (p.intent) await readModel.project({ state: result.state, entries: result.entries }, p.intent.id);
    // ...which also means a reused eventId with another body gets the first result: detect it here.
    if (result.bodyHash !== p.hash) {
      if (!canSee(p.actor, partiesOf(result.state))) throw notFound(dossierId);
      throw eventIdConflict(p.message.event.eventId);
    }
    return result;
  };

  /**
   * The event did not reach a workflow, or its workflow refused it: the partner's answer (an
   * event already in the record of a dossier whose life is over answers as a duplicate).
   */
  const refused = async (dossierId: string, p: Prepared, e: unknown): Promise<EventResult> => {
    const { intent, hash, actor } = p;
    if (intent) await readModel.drop(intent.id, e, { dossierId, months: intent.registered });
    // Hidden or missing: one answer, that tells nothing of which.
    if (
      e instanceof WorkflowUpdateFailedError &&
      (e.cause as ApplicationFailure | undefined)?.type === 'NOT_FOUND'
    )
      throw notFound(dossierId);
    if (!(e instanceof WorkflowNotFoundError)) throw e;
    // No running workflow: no such dossier, or one whose life is over (its record remains).
    const state = await records.state(dossierId);
    if (!state || !canSee(actor, partiesOf(state))) throw notFound(dossierId);
    const known = intent?.ledger.eventHash ?? null;
    if (known === hash) return { outcome: 'duplicate', state, bodyHash: hash, entries: [] };
    if (known !== null) throw eventIdConflict(p.message.event.eventId);
    throw new ApiError(
      'INVALID_TRANSITION',
      `dossier ${dossierId} is closed and its employment follow-up is complete: it takes no more events`,
      { state: state.status, interrompu: state.interrompu, event: p.message.event.type },
    );
  };

  const gateway: DossierGateway = {
    async create(body, actor, receivedAt, prescriptionOperateur) {
      const hash = bodyHash(body);
      // A dossierId is claimed for ever before its workflow starts (the engine forgets ended ones).
      const claim = await projector.claim(body.dossierId, { eventId: body.eventId, bodyHash: hash });
      if (!claim.claimed) {
        const holder = claim.holder ?? { eventId: '', bodyHash: '', purged: false };
        if (holder.purged) {
          await projector.dropIntent(claim.intentId);
          throw new ApiError(
            'ALREADY_EXISTS',
            `dossier ${body.dossierId} existed: its record was deleted at the end of its retention, and its id is not reused`,
            { dossierId: body.dossierId },
          );
        }
        // Ids claimed before the ledger existed: the workflow knows its creation.
        const creation =
          holder.eventId === ''
            ? await handle(body.dossierId)
                .query(creationQuery)
                .catch((e: unknown) => {
                  if (e instanceof WorkflowNotFoundError) return { eventId: '', bodyHash: '', state: null };
                  throw e;
                })
            : { ...holder, state: null };
        if (creation.eventId !== body.eventId) {
          await projector.dropIntent(claim.intentId);
          throw new ApiError(
            'ALREADY_EXISTS',
            `dossier ${body.dossierId} already exists, created by another event`,
            {
              dossierId: body.dossierId,
            },
          );
        }
        if (creation.bodyHash !== hash) {
          await projector.dropIntent(claim.intentId);
          throw eventIdConflict(body.eventId);
        }
        const state = creation.state ?? (await current(body.dossierId));
        if (state) {
          await projector.dropIntent(claim.intentId);
          return { created: false, state };
        }
        // Claimed by this same creation, whose workflow never started (its API died in between).
      }
      try {
        return {
          created: true,
          state: await start(body, actor, receivedAt, claim.intentId, prescriptionOperateur),
        };
      } catch (e) {
        await readModel.drop(claim.intentId, e);
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        // The same creation, sent twice at once: the other call started it.
        const state = await handle(body.dossierId).query(stateQuery);
        return { created: false, state };
      }
    },

    async send(dossierId, event, actor, receivedAt) {
      const prepared = await prepare(dossierId, event, actor, receivedAt);
      let result: EventResult;
      try {
        result = await handle(dossierId).executeUpdate(eventUpdate, {
          args: [prepared.message],
          // Temporal itself answers a resent Update id with the first result, without running it again.
          updateId: event.eventId,
        });
      } catch (e) {
        return refused(dossierId, prepared, e);
      }
      return accepted(dossierId, prepared, result);
    },

    async sendBatch(dossierId, items) {
      const prepared = await Promise.all(
        items.map((i) => prepare(dossierId, i.event, i.actor, i.receivedAt)),
      );
      let outcomes: BatchOutcome<EventResult>[];
      try {
        outcomes = await handle(dossierId).executeUpdate(eventsUpdate, {
          args: [{ messages: prepared.map((p) => p.message) }],
          // The same events sent again together (a file's share run again after a crash): the
          // first answers, as for one event.
          updateId: `events-${sha256Hex(prepared.map((p) => `${p.message.event.eventId} ${p.message.bodyHash}`).join('\n'))}`,
        });
      } catch (e) {
        return Promise.allSettled(prepared.map((p) => refused(dossierId, p, e)));
      }
      return Promise.allSettled(
        prepared.map((p, i) => {
          const outcome = outcomes[i];
          if (outcome && 'result' in outcome) return accepted(dossierId, p, outcome.result);
          const reason = outcome?.refused ?? { code: 'INTERNAL', message: 'no answer for this event' };
          // As the single Update's validator refuses it.
          const failure = ApplicationFailure.create({
            message: reason.message,
            type: reason.code,
            details: reason.details === undefined ? [] : [reason.details],
            nonRetryable: true,
          });
          return refused(dossierId, p, new WorkflowUpdateFailedError(reason.message, failure));
        }),
      );
    },

    async state(dossierId) {
      const state = await current(dossierId);
      if (!state) throw notFound(dossierId);
      return state;
    },

    async history(dossierId, { afterSeq, limit }) {
      // The workflow first: the entries it still holds are then in it or, trimmed since, in the ledger.
      let state: DossierState | null;
      let pending: HistoryEntry[] = [];
      try {
        const live = await handle(dossierId).query(recordQuery);
        state = live.state;
        pending = live.entries.filter((e) => e.seq > afterSeq).map(publicEntry);
      } catch (e) {
        if (!(e instanceof WorkflowNotFoundError)) throw e;
        state = await records.state(dossierId);
      }
      if (!state) throw notFound(dossierId);
      const stored = await records.ledger(dossierId, afterSeq, limit + 1);
      return { parties: partiesOf(state), ...historyPage(stored, pending, limit) };
    },
  };
  return {
    create: (...args) => bounded(() => gateway.create(...args)),
    send: (...args) => bounded(() => gateway.send(...args)),
    sendBatch: (...args) => bounded(() => gateway.sendBatch(...args)),
    state: (...args) => bounded(() => gateway.state(...args)),
    history: (...args) => bounded(() => gateway.history(...args)),
  };
}

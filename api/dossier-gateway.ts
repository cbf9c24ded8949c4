import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Projector } from '../db/projection-intents';
import type { Logger } from '../infra/logger';
import { canSee } from '../domain/authorization';
import type { Actor } from '../domain/authorization';
import type { DossierParties, DossierState } from '../domain/dossier-state';
import { createState, partiesOf } from '../domain/dossier-state';
import type { CreateDossierBody, DossierEvent, HistoryEntry } from '../domain/schemas';
import { searchAttributesOf } from '../workflows/search-attributes';
import type { EventMessage, EventResult } from '../workflows/dossier-messages';
import { monthsOwedBy } from '../domain/situations';
import {
  creationQuery,
  dossierWorkflowId,
  eventUpdate,
  historyQuery,
  stateQuery,
} from '../workflows/dossier-messages';
import { ApiError } from './errors';
import { bodyHash } from '../infra/canonical-hash';

/** The API's only door to the dossier workflows. */
export interface DossierGateway {
  create(
    body: CreateDossierBody,
    actor: Actor,
    receivedAt: string,
  ): Promise<{ created: boolean; state: DossierState }>;
  send(dossierId: string, event: DossierEvent, actor: Actor, receivedAt: string): Promise<EventResult>;
  state(dossierId: string): Promise<DossierState>;
  history(dossierId: string): Promise<{ parties: DossierParties; events: HistoryEntry[] }>;
}

/** No partner call waits longer than this for Temporal: it then answers 503, safe to retry. */
const CALL_TIMEOUT_MS = 15_000;

/** How long an intent may take to write before the workflow is left to project (database slow or down). */
const INTENT_TIMEOUT_MS = 1000;
/** After a failed intent, the database is not asked again for this long. */
const INTENT_PAUSE_MS = 5000;

/**
 * The read model's side of each call: an intent before the workflow is reached, the state it
 * answers projected after (db/projection-intents.ts). When the database cannot take the intent,
 * the call goes on and the workflow projects, as it does for its own changes.
 */
function readModelWriter(projector: Projector, logger: Logger | undefined) {
  let pausedUntil = 0;
  return {
    /** An intent, or null when the workflow is to project (and look up every month itself). */
    async open(
      dossierId: string,
      months: string[] = [],
    ): Promise<{ id: string; notLoaded: string[] } | null> {
      if (Date.now() < pausedUntil) return null;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          projector.openIntent(dossierId, months),
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
    async project(state: DossierState, intentId: string): Promise<void> {
      try {
        await projector.project(state, intentId);
      } catch (err) {
        // The intent stays: the sweeper projects it once the database is back.
        logger?.warn({ err, dossierId: state.dossierId }, 'projection left to the sweeper');
      }
    },
    /**
     * The call never changed the dossier: its intent goes, and with no workflow for the id, the
     * months it registered. Kept when the outcome is unknown.
     */
    async drop(intentId: string, err: unknown, forget?: { dossierId: string; months: string[] }) {
      const refused =
        err instanceof WorkflowUpdateFailedError ||
        err instanceof WorkflowNotFoundError ||
        err instanceof WorkflowExecutionAlreadyStartedError;
      if (!refused) return;
      await projector
        .dropIntent(intentId, err instanceof WorkflowNotFoundError ? forget : undefined)
        .catch(() => undefined);
    },
  };
}

export function createDossierGateway(
  client: Client,
  taskQueue: string,
  projector: Projector,
  logger?: Logger,
): DossierGateway {
  const handle = (dossierId: string) => client.workflow.getHandle(dossierWorkflowId(dossierId));
  const readModel = readModelWriter(projector, logger);
  const bounded = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, fn);

  const gateway: DossierGateway = {
    async create(body, actor, receivedAt) {
      const hash = bodyHash(body);
      const initial = createState(body, receivedAt);
      const intent = await readModel.open(body.dossierId);
      try {
        await client.workflow.start('dossierWorkflow', {
          workflowId: dossierWorkflowId(body.dossierId),
          taskQueue,
          args: [
            {
              create: { body, bodyHash: hash, actor, receivedAt },
              ...(intent ? { callerProjects: true } : {}),
            },
          ],
          // A dossierId is unique for ever: a closed dossier's id is not reused.
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
        if (intent) await readModel.project(initial, intent.id);
        return { created: true, state: initial };
      } catch (e) {
        if (intent) await readModel.drop(intent.id, e);
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
      const h = handle(body.dossierId);
      const creation = await h.query(creationQuery);
      if (creation.eventId !== body.eventId) {
        throw new ApiError(
          'ALREADY_EXISTS',
          `dossier ${body.dossierId} already exists, created by another event`,
          {
            dossierId: body.dossierId,
          },
        );
      }
      if (creation.bodyHash !== hash) {
        throw new ApiError(
          'EVENT_ID_CONFLICT',
          `eventId ${body.eventId} was already used with a different body; use a new eventId for a new event`,
          { eventId: body.eventId },
        );
      }
      return { created: false, state: creation.state };
    },

    async send(dossierId, event, actor, receivedAt) {
      const hash = bodyHash(event);
      const months = monthsOwedBy(event);
      const intent = await readModel.open(dossierId, months);
      const extra: Partial<EventMessage> = intent ? { callerProjects: true } : {};
      // Months known not loaded: the workflow records those points as waiting with no look-up.
      if (intent && intent.notLoaded.length > 0) extra.dsnNotLoaded = intent.notLoaded;
      let result: EventResult;
      try {
        result = await handle(dossierId).executeUpdate(eventUpdate, {
          args: [{ event, bodyHash: hash, actor, receivedAt, ...extra }],
          // Temporal itself answers a resent Update id with the first result, without running it again.
          updateId: event.eventId,
        });
      } catch (e) {
        if (intent) await readModel.drop(intent.id, e, { dossierId, months });
        if (!(e instanceof WorkflowNotFoundError)) throw e;
        // No running workflow: either no such dossier, or one whose life is over (closed, follow-up done).
        const state = await handle(dossierId)
          .query(stateQuery)
          .catch(() => null);
        if (!state || !canSee(actor, partiesOf(state))) throw e;
        throw new ApiError(
          'INVALID_TRANSITION',
          `dossier ${dossierId} is closed and its employment follow-up is complete: it takes no more events`,
          { state: state.status, interrompu: state.interrompu, event: event.type },
        );
      }
      if (intent) await readModel.project(result.state, intent.id);
      // ...which also means a reused eventId with another body gets the first result: detect it here.
      if (result.bodyHash !== hash) {
        throw new ApiError(
          'EVENT_ID_CONFLICT',
          `eventId ${event.eventId} was already used with a different body; use a new eventId for a new event`,
          { eventId: event.eventId },
        );
      }
      return result;
    },

    state: (dossierId) => handle(dossierId).query(stateQuery),
    history: (dossierId) => handle(dossierId).query(historyQuery),
  };
  return {
    create: (...args) => bounded(() => gateway.create(...args)),
    send: (...args) => bounded(() => gateway.send(...args)),
    state: (...args) => bounded(() => gateway.state(...args)),
    history: (...args) => bounded(() => gateway.history(...args)),
  };
}

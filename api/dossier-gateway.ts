import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { canSee } from '../domain/authorization';
import type { Actor } from '../domain/authorization';
import type { DossierParties, DossierState } from '../domain/dossier-state';
import { createState, partiesOf } from '../domain/dossier-state';
import type { CreateDossierBody, DossierEvent, HistoryEntry } from '../domain/schemas';
import { searchAttributesOf } from '../workflows/search-attributes';
import type { EventResult } from '../workflows/dossier-messages';
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

export function createDossierGateway(client: Client, taskQueue: string): DossierGateway {
  const handle = (dossierId: string) => client.workflow.getHandle(dossierWorkflowId(dossierId));
  const bounded = <T>(fn: () => Promise<T>) =>
    client.connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, fn);

  const gateway: DossierGateway = {
    async create(body, actor, receivedAt) {
      const hash = bodyHash(body);
      const initial = createState(body, receivedAt);
      try {
        await client.workflow.start('dossierWorkflow', {
          workflowId: dossierWorkflowId(body.dossierId),
          taskQueue,
          args: [{ create: { body, bodyHash: hash, actor, receivedAt } }],
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
        return { created: true, state: initial };
      } catch (e) {
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
      let result: EventResult;
      try {
        result = await handle(dossierId).executeUpdate(eventUpdate, {
          args: [{ event, bodyHash: hash, actor, receivedAt }],
          // Temporal itself answers a resent Update id with the first result, without running it again.
          updateId: event.eventId,
        });
      } catch (e) {
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

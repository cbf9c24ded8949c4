import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DossierState } from '../../domain/dossier-state';
import type { Actor } from '../../domain/authorization';
import type { DossierEvent } from '../../domain/schemas';
import { bodyHash } from '../../infra/canonical-hash';
import { dossierWorkflowId, eventUpdate, historyQuery, stateQuery } from '../../workflows/dossier-messages';
import { SIRETS, createBody } from '../helpers/fixtures';

const financeur: Actor = {
  admin: false,
  partnerId: 'p1',
  siret: SIRETS.region84,
  kind: 'REGION',
  region: '84',
};
let env: TestWorkflowEnvironment;
const projected: DossierState[] = [];

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
});
afterAll(async () => {
  await env?.teardown();
});

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      async projectDossier({ state }: { state: DossierState }) {
        projected.push(state);
      },
    },
  });
  return worker.runUntil(fn(taskQueue));
}

async function start(taskQueue: string, opts: { maxUpdatesPerRun?: number } = {}) {
  const body = createBody();
  const handle = await env.client.workflow.start('dossierWorkflow', {
    taskQueue,
    workflowId: dossierWorkflowId(body.dossierId),
    args: [
      {
        create: { body, bodyHash: bodyHash(body), actor: financeur, receivedAt: '2026-01-15T08:00:00.000Z' },
        ...opts,
      },
    ],
  });
  return { handle, body };
}

function send(handle: WorkflowHandle, event: Record<string, unknown>) {
  const e = event as DossierEvent;
  return handle.executeUpdate(eventUpdate, {
    args: [{ event: e, bodyHash: bodyHash(e), actor: financeur, receivedAt: new Date().toISOString() }],
    updateId: e.eventId,
  });
}

describe('dossierWorkflow (time-skipping server)', () => {
  it('applies events as Updates and answers the new state', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq);
      const r = await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      expect(r.outcome).toBe('applied');
      expect(r.state.status).toBe('VALIDE');
      expect((await handle.query(stateQuery)).version).toBe(2);
    });
  });

  it('refuses in the validator: the refusal carries the code and never enters the history', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq);
      const err = await send(handle, {
        eventId: 'x',
        type: 'SORTIE',
        date: '2026-01-20',
        motif: 'AUTRE',
      }).catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        'INVALID_TRANSITION',
      );
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
      expect((await handle.query(historyQuery)).events.map((h) => h.type)).toEqual(['CREATION']);
    });
  });

  it('projects each new version to the read model', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await start(tq);
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      await env.sleep('5 seconds');
      const versions = projected.filter((s) => s.dossierId === body.dossierId).map((s) => s.version);
      expect(Math.max(...versions)).toBe(2);
    });
  });

  it('keeps its state, history and deduplication across continue-as-new', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq, { maxUpdatesPerRun: 20 });
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      await send(handle, { eventId: 'in', type: 'ENTREE', date: '2026-02-01' });
      // 20 Updates in a run force a continue-as-new.
      for (let i = 0; i < 20; i += 2) {
        await send(handle, { eventId: `i${i}`, type: 'INTERRUPTION', date: '2026-03-01' });
        await send(handle, { eventId: `r${i}`, type: 'REPRISE', date: '2026-03-01' });
      }
      const firstRun = (await handle.describe()).runId;
      await env.sleep('2 seconds');
      const desc = await env.client.workflow.getHandle(handle.workflowId).describe();
      expect(desc.runId).not.toBe(firstRun);
      const again = await send(env.client.workflow.getHandle(handle.workflowId), {
        eventId: 'in',
        type: 'ENTREE',
        date: '2026-02-01',
      });
      expect(again.outcome).toBe('duplicate');
      const state = await env.client.workflow.getHandle(handle.workflowId).query(stateQuery);
      expect(state.status).toBe('ENTRE');
      expect(state.interruptions).toHaveLength(10);
      expect((await env.client.workflow.getHandle(handle.workflowId).query(historyQuery)).events.length).toBe(
        23,
      );
    });
  });
});

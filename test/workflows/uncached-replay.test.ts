import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { createBody, openPeriodBody, uid } from '../helpers/fixtures';
import { ndjson } from '../helpers/flux-file';
import type { Stack } from '../helpers/stack';
import { startStack, TEST_DATA_KEY } from '../helpers/stack';
import { temporalJson } from '../helpers/temporal-cli';
import { dataConverter } from '../../infra/temporal';
import { addDays } from '../../domain/dates';

/**
 * A worker that does not hold the workflow in its cache replays its history, then runs the new
 * workflow task: Temporal may hand it the Update in an activation grouped unlike the one a cached
 * worker, or a replay, gets. The history it writes must replay all the same, or the dossier is
 * stuck for good (every read and event 503). Found by killing the Temporal server in a trial; a
 * worker with no cache does it every time.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workerCache: 0 });
}, 120_000);
afterAll(async () => stack?.stop());

const converter = dataConverter({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined });

/** The workflow's history as `temporal workflow show` exports it, replayed with the current code. */
async function replays(workflowId: string): Promise<string[]> {
  const history = JSON.parse(temporalJson('show', workflowId)) as { events: { eventType: string }[] };
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: converter },
    history,
    workflowId,
  );
  return history.events.map((e) => e.eventType.replace('EVENT_TYPE_', ''));
}

/** A partner file of `lines`, sent with `token`. */
const sendFile = (token: string, lines: Record<string, unknown>[]) =>
  stack.app.request('/v1/flux', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: ndjson(lines),
  });

async function until(read: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await read()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the file did not close the dossier within 50 s');
}

describe('histories written by a worker without the workflow in its cache', () => {
  const lifecycle = (id: string) => [
    { eventId: `${id}-va`, type: 'VALIDATION', date: '2026-01-20' },
    { eventId: `${id}-en`, type: 'ENTREE', date: '2026-02-02' },
    { eventId: `${id}-so`, type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' },
    { eventId: `${id}-cl`, type: 'CLOTURE', date: '2026-10-05' },
  ];

  it('replay: the events one call each', async () => {
    const region = await stack.partner('REGION', '84');
    const body = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 100 }] });
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    for (const event of lifecycle(body.dossierId)) {
      const res = await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, region.token, event);
      expect(res.status).toBe(200);
    }
    const events = await replays(`dossier-${body.dossierId}`);
    // The follow-up's timer, started by the loop after an Update: what the order is about.
    expect(events).toContain('TIMER_STARTED');
  }, 120_000);

  it('replay: the events of one dossier in one file (one Update)', async () => {
    const region = await stack.partner('REGION', '84');
    const body = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 100 }] });
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    const id = body.dossierId;
    const res = await sendFile(
      region.token,
      lifecycle(id).map((e) => ({ op: 'EVENT', dossierId: id, ...e })),
    );
    expect(res.status).toBe(202);
    await until(
      async () => (await stack.call('GET', `/v1/dossiers/${id}`, region.token)).body.status === 'CLOS',
    );
    const events = await replays(`dossier-${id}`);
    expect(events.filter((e) => e === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(1);
    expect(events).toContain('TIMER_STARTED');
  }, 120_000);

  it('replay: a creation and its events in one file (the Update in the first workflow task)', async () => {
    const region = await stack.partner('REGION', '84');
    const body = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 100 }] });
    const id = body.dossierId;
    const res = await sendFile(region.token, [
      { op: 'CREATE', ...body },
      ...lifecycle(id).map((e) => ({ op: 'EVENT', dossierId: id, ...e })),
    ]);
    expect(res.status).toBe(202);
    await until(
      async () => (await stack.call('GET', `/v1/dossiers/${id}`, region.token)).body.status === 'CLOS',
    );
    expect(await replays(`dossier-${id}`)).toContain('TIMER_STARTED');
  }, 120_000);

  it("replay: a CEP period's events", async () => {
    const ml = await stack.partner('CEP_OPERATEUR');
    const today = new Date().toISOString().slice(0, 10);
    const body = openPeriodBody({
      eventId: `o-${uid()}`,
      periodeId: `ML-69-${uid()}`,
      date: addDays(today, -60),
      beneficiaire: { ...openPeriodBody().beneficiaire, nir: createBody().stagiaire.nir },
    });
    expect((await stack.call('POST', '/v1/cep/periodes', ml.token, body)).status).toBe(201);
    const path = `/v1/cep/periodes/${body.periodeId}/events`;
    const service = {
      eventId: `s-${uid()}`,
      type: 'SERVICE',
      date: addDays(today, -50),
      service: 'ENTRETIEN',
      modalite: 'PRESENTIEL',
    };
    expect((await stack.call('POST', path, ml.token, service)).status).toBe(200);
    const cloture = { eventId: `c-${uid()}`, type: 'CLOTURE', date: today, motif: 'ENTREE_FORMATION' };
    expect((await stack.call('POST', path, ml.token, cloture)).status).toBe(200);
    const events = await replays(`cep-${body.periodeId}`);
    expect(events).toContain('TIMER_STARTED');
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDossierGateway } from '../../api/dossier-gateway';
import { ADMIN } from '../../domain/authorization';
import type { DossierEvent } from '../../domain/schemas';
import { type Projector, createProjector, sweepIntents } from '../../db/projection-intents';
import { createRecordStore } from '../../db/dossier-records';
import { nirHasher, vouchKey } from '../../infra/pseudonym';
import { sealer } from '../../infra/sealing';
import { workflowState } from '../../worker/intent-sweeper';
import { createBody } from '../helpers/fixtures';
import { createAggregate } from '../../domain/dossier-aggregate';
import { bodyHash } from '../../infra/canonical-hash';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, TEST_DATA_KEY, startStack } from '../helpers/stack';

/**
 * The API projects the state each accepted event answers, settling an intent it wrote first; an
 * intent it could not settle is the workers' sweeper's; without an intent the workflow projects.
 */
let stack: Stack;
let projector: Projector;
const gatewayWith = (p: Projector) =>
  createDossierGateway({
    client: stack.client,
    taskQueue: stack.taskQueue,
    projector: p,
    records: createRecordStore(stack.orm, sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open),
    vouchKey: vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY }),
  });
beforeAll(async () => {
  stack = await startStack();
  projector = createProjector({
    orm: stack.orm,
    hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
    seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
  });
});
afterAll(async () => stack?.stop());

const sql = <T>(query: string, params: unknown[] = []) =>
  stack.orm.em.getConnection().execute<T[]>(query, params, 'all');
const readVersion = async (dossierId: string) =>
  (await sql<{ version: number }>('select version from dossiers where dossier_id = ?', [dossierId]))[0]
    ?.version ?? null;
const factsVersion = async (dossierId: string) =>
  (await sql<{ version: number }>('select version from dossier_facts where dossier_id = ?', [dossierId]))[0]
    ?.version ?? null;
const intents = async (dossierId: string) =>
  (
    await sql<{ n: number }>('select count(*)::int as n from projection_intents where dossier_id = ?', [
      dossierId,
    ])
  )[0]!.n;
const event = (type: string, date: string, extra: Record<string, unknown> = {}): DossierEvent =>
  ({ eventId: randomUUID(), type, date, ...extra }) as DossierEvent;

async function waitFor(check: () => Promise<boolean>, seconds = 20) {
  for (let i = 0; i < seconds * 10; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

describe('the read model written by the API', () => {
  it('is at the answered version when the response leaves, with no intent left', async () => {
    const body = createBody();
    expect((await stack.call('POST', '/v1/dossiers', ADMIN_TOKEN, body)).status).toBe(201);
    expect(await readVersion(body.dossierId)).toBe(1);
    const res = await stack.call(
      'POST',
      `/v1/dossiers/${body.dossierId}/events`,
      ADMIN_TOKEN,
      event('VALIDATION', '2026-01-20'),
    );
    expect(res.status).toBe(200);
    expect(await readVersion(body.dossierId)).toBe(res.body.version);
    expect(await factsVersion(body.dossierId)).toBe(res.body.version);
    expect(await intents(body.dossierId)).toBe(0);
    // A refused event leaves no intent either.
    const refused = await stack.call(
      'POST',
      `/v1/dossiers/${body.dossierId}/events`,
      ADMIN_TOKEN,
      event('SORTIE', '2026-01-21', { motif: 'FIN_FORMATION' }),
    );
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(await intents(body.dossierId)).toBe(0);
  });

  it('left behind by an API that failed after the Update, is projected by the sweeper', async () => {
    const failing: Projector = {
      ...projector,
      project: async () => {
        throw new Error('the API died here');
      },
    };
    const gateway = gatewayWith(failing);
    const body = createBody();
    const now = () => new Date().toISOString();
    await gateway.create(body, ADMIN, now());
    const { state } = await gateway.send(body.dossierId, event('VALIDATION', '2026-01-20'), ADMIN, now());
    expect(state.version).toBe(2);
    // Nobody projected: the workflow left it to the caller.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await readVersion(body.dossierId)).toBe(null);
    expect(await intents(body.dossierId)).toBe(2);
    // Not yet the sweeper's while fresh...
    // (This file's dossiers only: other files share the database, their workflows on other queues.)
    const only = [body.dossierId];
    await sweepIntents(stack.orm, projector, workflowState(stack.client), { graceSeconds: 3600, only });
    expect(await intents(body.dossierId)).toBe(2);
    // ...then projected from the workflow's state.
    const { settled } = await sweepIntents(stack.orm, projector, workflowState(stack.client), {
      graceSeconds: 0,
      only,
    });
    expect(settled).toBeGreaterThanOrEqual(2);
    expect(await readVersion(body.dossierId)).toBe(2);
    expect(await factsVersion(body.dossierId)).toBe(2);
    expect(await intents(body.dossierId)).toBe(0);
  });

  it('is written by the workflow when no intent can be written (database away)', async () => {
    const noIntents: Projector = {
      ...projector,
      openIntent: async () => {
        throw new Error('connection refused');
      },
    };
    const gateway = gatewayWith(noIntents);
    const body = createBody();
    const now = () => new Date().toISOString();
    await gateway.create(body, ADMIN, now());
    await gateway.send(body.dossierId, event('VALIDATION', '2026-01-20'), ADMIN, now());
    await waitFor(async () => (await readVersion(body.dossierId)) === 2);
    expect(await intents(body.dossierId)).toBe(0);
  });

  it('registers the dossier for the month an event makes owed, and an unknown id for none', async () => {
    const registered = (dossierId: string) =>
      sql<{ mois: string }>('select mois from dossier_dsn_months where dossier_id = ? order by mois', [
        dossierId,
      ]);
    const body = createBody();
    expect((await stack.call('POST', '/v1/dossiers', ADMIN_TOKEN, body)).status).toBe(201);
    const ok = await stack.call(
      'POST',
      `/v1/dossiers/${body.dossierId}/events`,
      ADMIN_TOKEN,
      event('VALIDATION', '2026-01-20'),
    );
    expect(ok.status).toBe(200);
    // Registered before the read that found the month missing: its load will wake the dossier.
    expect(await registered(body.dossierId)).toEqual([{ mois: '2026-01' }]);
    expect(ok.body.situations.find((s: { point: string }) => s.point === 'VALIDATION')).toMatchObject({
      mois: '2026-01',
      statut: 'EN_ATTENTE',
    });
    const unknown = `NOPE-${randomUUID().slice(0, 8)}`;
    const res = await stack.call(
      'POST',
      `/v1/dossiers/${unknown}/events`,
      ADMIN_TOKEN,
      event('VALIDATION', '2026-01-20'),
    );
    expect(res.status).toBe(404);
    expect(await registered(unknown)).toEqual([]);
    expect(await intents(unknown)).toBe(0);
  });

  it("shows the intents not yet settled, and the oldest one's age, to the operator", async () => {
    const dossierId = `OPEN-${randomUUID().slice(0, 8)}`;
    const { id } = await projector.openIntent(dossierId, { eventId: 'e', bodyHash: 'h' });
    await sql("update projection_intents set created_at = now() - interval '2 minutes' where id = ?", [id]);
    const metrics = await stack.call('GET', '/metrics', ADMIN_TOKEN);
    expect(Number(/agora_projection_intents (\d+)/.exec(metrics.body)?.[1])).toBeGreaterThanOrEqual(1);
    expect(
      Number(/agora_projection_intent_oldest_seconds (\d+)/.exec(metrics.body)?.[1]),
    ).toBeGreaterThanOrEqual(120);
    await projector.dropIntent(id);
  });

  it('quarantines a dossier whose record the database refuses, and settles the others meanwhile', async () => {
    const ids = ['POISON', 'HEALTHY-1', 'HEALTHY-2'].map((p) => `${p}-${randomUUID().slice(0, 8)}`);
    const records = new Map(
      ids.map((id) => {
        const body = createBody({ dossierId: id });
        const agg = createAggregate({
          body,
          bodyHash: bodyHash(body),
          actor: ADMIN,
          receivedAt: new Date().toISOString(),
        });
        // A year PostgreSQL refuses (there is no year 0), as a date from before the checks would be.
        const state = id.startsWith('POISON')
          ? { ...agg.state, dates: { ...agg.state.dates, entree: '0000-01-01' } }
          : agg.state;
        return [id, { state, entries: agg.unledgered }];
      }),
    );
    for (const id of ids) {
      const { id: intent } = await projector.openIntent(id, { eventId: 'e', bodyHash: 'h' });
      await sql("update projection_intents set created_at = now() - interval '1 hour' where id = ?", [
        intent,
      ]);
    }
    const current = async (id: string) => records.get(id) ?? null;
    const first = await sweepIntents(stack.orm, projector, current, { graceSeconds: 3000 });
    expect(first.failed).toEqual([ids[0]]);
    expect(await readVersion(ids[1]!)).toBe(1);
    expect(await readVersion(ids[2]!)).toBe(1);
    let quarantined: string[] = [];
    for (let i = 1; i < 5; i++)
      quarantined = (await sweepIntents(stack.orm, projector, current, { graceSeconds: 3000 })).quarantined;
    expect(quarantined).toEqual([ids[0]]);
    // Left aside from now on, and counted for the operator.
    expect((await sweepIntents(stack.orm, projector, current, { graceSeconds: 3000 })).failed).toEqual([]);
    expect(await intents(ids[0]!)).toBe(1);
    const metrics = await stack.call('GET', '/metrics', ADMIN_TOKEN);
    expect(Number(/agora_projection_quarantined (\d+)/.exec(metrics.body)?.[1])).toBeGreaterThanOrEqual(1);
    await sql('delete from projection_intents where dossier_id = ?', [ids[0]]);
  });

  it('drops the intents of dossiers that no workflow holds', async () => {
    const dossierId = `NONE-${randomUUID().slice(0, 8)}`;
    await projector.openIntent(dossierId, { eventId: 'e', bodyHash: 'h' });
    await sweepIntents(stack.orm, projector, workflowState(stack.client), {
      graceSeconds: 0,
      only: [dossierId],
    });
    expect(await intents(dossierId)).toBe(0);
    expect(await readVersion(dossierId)).toBe(null);
  });
});

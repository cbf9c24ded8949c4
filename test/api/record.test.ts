import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/common';
import { createProjector } from '../../db/projection-intents';
import { bodyHash } from '../../infra/canonical-hash';
import { createBody, uid, ev } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { startStack } from '../helpers/stack';
import { freePort } from '../helpers/global-setup';
import { DATA_DIR } from '../../infra/paths';
import { startDevServer, stopChild } from '../../scripts/temporal-server';

/**
 * The record outlives the engine: once Temporal has deleted a finished dossier's workflow (what
 * the namespace's retention does), every read answers from PostgreSQL exactly as before, and
 * the dossierId is never reused.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
// A Temporal server of its own: the suite's shared one deletes every closed run (its reaper), and
// a deletion asked here would queue behind thousands of those.
let server: ChildProcess;
beforeAll(async () => {
  const port = await freePort();
  server = await startDevServer({
    temporalCli: inject('temporalCli'),
    port,
    headless: true,
    logFile: join(DATA_DIR, 'test', `temporal-record-${port}.log`),
  });
  stack = await startStack({ temporalAddress: `127.0.0.1:${port}` });
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (server) await stopChild(server, 5000);
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Until the dossier's workflow has ended (the suite's reaper may already have deleted it). */
async function ended(dossierId: string) {
  const handle = stack.client.workflow.getHandle(`dossier-${dossierId}`);
  await handle.result().catch((e: unknown) => {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  });
}

/** Delete the ended workflow as the namespace's retention does, and wait until it is gone. */
async function deleteWorkflow(dossierId: string) {
  const handle = stack.client.workflow.getHandle(`dossier-${dossierId}`);
  await ended(dossierId);
  await stack.client.workflowService
    .deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: `dossier-${dossierId}` },
    })
    .catch(() => undefined);
  for (let i = 0; i < 900; i++) {
    const gone = await handle.describe().then(
      () => false,
      (e) => e instanceof WorkflowNotFoundError,
    );
    if (gone) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the workflow of ${dossierId} is still there`);
}

describe('a dossier whose workflow Temporal deleted', () => {
  it('answers every read from its record exactly as before, and its id is never reused', async () => {
    const dispositif = `REC-${uid()}`;
    const action = { ...createBody().action, dispositif, region: '84' as const };
    const parties = {
      organisme: { siret: of.siret, raisonSociale: 'Centre Exemple' },
      financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
    };
    // A dossier loaded from an archive (its whole life years ago) and one cancelled at once.
    const archived = createBody({ date: day(-1300), action, ...parties });
    const cancelled = createBody({ date: day(-3), action, ...parties });
    for (const b of [archived, cancelled]) {
      expect((await stack.call('POST', '/v1/dossiers', region.token, b)).status).toBe(201);
    }
    const lifecycle: [P, Record<string, unknown>][] = [
      [region, ev('VALIDATION', day(-1295))],
      [of, ev('ENTREE', day(-1285))],
      [region, ev('ENTREE', day(-1285))], // the same fact told again: a confirmation
      [region, ev('RECTIFICATION', day(-1200), { changes: { action: { dureeHeures: 750 } } })],
      [of, ev('SORTIE', day(-1100), { motif: 'FIN_FORMATION', heuresRealisees: 740 })],
      [
        region,
        ev('CLOTURE', day(-1090), { montantsRealises: [{ financeurSiret: region.siret, montant: 6000 }] }),
      ],
    ];
    for (const [who, e] of lifecycle) {
      const res = await stack.call('POST', `/v1/dossiers/${archived.dossierId}/events`, who.token, e);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const cancel = ev('ANNULATION', day(-2));
    expect(
      (await stack.call('POST', `/v1/dossiers/${cancelled.dossierId}/events`, region.token, cancel)).status,
    ).toBe(200);

    let consoleCookie: string | undefined;
    const reads = async () => {
      const out: Record<string, unknown> = {};
      // What a partner reads: the status and the body (headers carry each request's own id).
      const call = async (method: string, path: string, token: string) => {
        const { status, body } = await stack.call(method, path, token);
        return { status, body };
      };
      for (const b of [archived, cancelled]) {
        for (const who of [region, of]) {
          out[`get ${b.dossierId} ${who.siret}`] = await call(
            'GET',
            `/v1/dossiers/${b.dossierId}`,
            who.token,
          );
          out[`history ${b.dossierId} ${who.siret}`] = await call(
            'GET',
            `/v1/dossiers/${b.dossierId}/history`,
            who.token,
          );
          out[`history page ${b.dossierId} ${who.siret}`] = await call(
            'GET',
            `/v1/dossiers/${b.dossierId}/history?limit=2`,
            who.token,
          );
        }
      }
      out.list = await call('GET', `/v1/dossiers?dispositif=${dispositif}`, region.token);
      const search = await stack.call('POST', '/v1/dossiers/search', region.token, {
        nir: archived.stagiaire.nir,
      });
      out.search = { status: search.status, body: search.body };
      out.stats = await call(
        'GET',
        `/v1/stats/dossiers?dispositif=${dispositif}&groupBy=issue`,
        region.token,
      );
      const file = await stack.app.request('/v1/exports/insertion.csv?region=84', {
        headers: { authorization: `Bearer ${region.token}` },
      });
      out.file = (await file.text()).split('\n').filter((l) => l.includes(dispositif));
      const page = await stack.app.request(`/console/dossiers/${archived.dossierId}`, {
        headers: { cookie: (consoleCookie ??= await stack.consoleCookie(region)) },
      });
      out.console = { status: page.status, html: await page.text() };
      return out;
    };
    // The list may lag the workflows by a moment: read once it shows both, closed.
    for (let i = 0; i < 50; i++) {
      const list = await stack.call('GET', `/v1/dossiers?dispositif=${dispositif}`, region.token);
      if (
        list.body.items.every((d: { status: string }) => d.status === 'CLOS') &&
        list.body.items.length === 2
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stack.call('GET', `/v1/stats/dossiers?dispositif=${dispositif}&groupBy=issue`, region.token);
    // The follow-up of both is over: their workflows end (the archived one NON_DISPONIBLE, the
    // cancelled one SANS_OBJET on every point).
    for (const b of [archived, cancelled])
      await stack.client.workflow.getHandle(`dossier-${b.dossierId}`).result();
    const before = await reads();
    const got = before[`get ${archived.dossierId} ${region.siret}`] as { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(got.status).toBe(200);
    expect(got.body.stagiaire.nir).toBe(archived.stagiaire.nir);
    expect(got.body.situations.map((s: { statut: string }) => s.statut)).toEqual(
      Array(6).fill('NON_DISPONIBLE'),
    );
    const gotCancelled = before[`get ${cancelled.dossierId} ${region.siret}`] as { body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(gotCancelled.body.situations.map((s: { statut: string }) => s.statut)).toEqual(
      Array(6).fill('SANS_OBJET'),
    );
    const history = before[`history ${archived.dossierId} ${of.siret}`] as { body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'CREATION',
      'VALIDATION',
      'ENTREE',
      'ENTREE',
      'RECTIFICATION',
      'SORTIE',
      'CLOTURE',
    ]);
    expect(history.body.nextCursor).toBeNull();
    expect((before.file as string[]).length).toBe(2);
    expect((before.console as { status: number }).status).toBe(200);

    for (const b of [archived, cancelled]) await deleteWorkflow(b.dossierId);
    const after = await reads();
    expect(after).toEqual(before);
    // The next page of the history, from the record too.
    const first = after[`history page ${archived.dossierId} ${region.siret}`] as { body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const second = await stack.call(
      'GET',
      `/v1/dossiers/${archived.dossierId}/history?limit=2&cursor=${first.body.nextCursor}`,
      region.token,
    );
    expect(second.body.events.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);

    // The id is never reused: the same creation answers the dossier, another one 409.
    const same = await stack.call('POST', '/v1/dossiers', region.token, archived);
    expect(same.status).toBe(200);
    // A creation's answer carries the masked NIR only (the full one is an audited read).
    const { nir: _nir, ...masked } = got.body.stagiaire;
    expect(same.body).toEqual({ ...got.body, stagiaire: masked });
    const other = await stack.call('POST', '/v1/dossiers', region.token, {
      ...archived,
      eventId: randomUUID(),
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('ALREADY_EXISTS');
    await expect(
      stack.client.workflow.getHandle(`dossier-${archived.dossierId}`).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Events: an old eventId resent answers the dossier, a new event is refused, a stranger sees nothing.
    const resent = await stack.call(
      'POST',
      `/v1/dossiers/${archived.dossierId}/events`,
      region.token,
      lifecycle[0]![1],
    );
    expect(resent.status).toBe(200);
    expect(resent.body.version).toBe(got.body.version);
    const late = await stack.call(
      'POST',
      `/v1/dossiers/${archived.dossierId}/events`,
      of.token,
      ev('REPRISE', day(0)),
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('INVALID_TRANSITION');
    const stranger = await stack.partner('OPCO');
    const hidden = await stack.call('GET', `/v1/dossiers/${archived.dossierId}`, stranger.token);
    const missing = await stack.call('GET', `/v1/dossiers/NOPE-${uid()}`, stranger.token);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
  }, 180_000);

  it('starts the workflow of an id its creation claimed before its API died, when the creation is sent again', async () => {
    const b = createBody({
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 1 }],
    });
    // The API claimed the id, then died before it started the workflow.
    const projector = createProjector({
      orm: stack.orm,
      hashNir: () => Buffer.alloc(32),
      seal: () => Buffer.alloc(1),
    });
    const claim = await projector.claim(b.dossierId, { eventId: b.eventId, bodyHash: bodyHash(b) });
    expect(claim.claimed).toBe(true);
    const other = await stack.call('POST', '/v1/dossiers', region.token, { ...b, eventId: randomUUID() });
    expect(other.status).toBe(409);
    const again = await stack.call('POST', '/v1/dossiers', region.token, b);
    expect(again.status).toBe(201);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.version).toBe(1);
    expect((await stack.call('POST', '/v1/dossiers', region.token, b)).status).toBe(200);
  });
});

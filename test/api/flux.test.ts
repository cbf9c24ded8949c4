import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, uid } from '../helpers/fixtures';
import { mixedFile, ndjson, oneByOne } from '../helpers/flux-file';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';
import { purgeFinishedFlux, storeFlux } from '../../db/flux';
import { ADMIN } from '../../domain/authorization';

/**
 * Partner files (CONTRACT.md, "Partner files (batch)"): a file gives the same dossiers and the same
 * answers as the same calls one by one; sent again, it changes nothing.
 */
let stack: Stack;
let region: { siret: string; token: string };
let other: { siret: string; token: string };
let of: { siret: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  other = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
}, 120_000);
afterAll(async () => stack?.stop());

async function sendFile(token: string, body: string) {
  const res = await stack.app.request('/v1/flux', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function waitDone(token: string, fluxId: string) {
  for (let i = 0; i < 600; i++) {
    const s = await stack.call('GET', `/v1/flux/${fluxId}`, token);
    expect(s.status).toBe(200);
    if (s.body.statut === 'TERMINE') return s.body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`file ${fluxId} still running`);
}

async function allAnswers(token: string, fluxId: string, statut = '') {
  const out: { ligne: number; status: number; code?: string; objet?: string }[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({
      limit: '1000',
      ...(statut ? { statut } : {}),
      ...(cursor ? { cursor } : {}),
    });
    const page = await stack.call('GET', `/v1/flux/${fluxId}/resultats?${q}`, token);
    expect(page.status).toBe(200);
    out.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}

describe('partner files', () => {
  it('gives the same dossiers and answers as the same calls one by one, and changes nothing sent again', async () => {
    const foreign = createBody({
      dossierId: `FOREIGN-${uid()}`,
      financements: [{ financeurSiret: other.siret, montantEngage: 100 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', other.token, foreign)).status).toBe(201);
    // 200 dossiers here (about 1,100 lines); the fault suite sends 5,000 lines with a worker killed.
    const n = Number(process.env.FLUX_TEST_DOSSIERS ?? 200);
    const parties = { organisme: of.siret, financeur: region.siret, foreign: foreign.dossierId };
    const viaFile = mixedFile(`FX-${uid()}`, n, parties);
    const viaCalls = mixedFile(`FC-${uid()}`, n, parties);
    expect(viaFile.length).toBeGreaterThanOrEqual(n * 5);

    const sent = await sendFile(region.token, ndjson(viaFile));
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ fluxId: expect.stringMatching(/^[0-9a-f]{32}$/), lignes: viaFile.length });
    const fluxId: string = sent.body.fluxId;
    // Its workflow, visible to operators.
    const described = await stack.client.workflow.getHandle(`flux-${fluxId}`).describe();
    expect(described.type).toBe('fluxWorkflow');
    // As a partner calls: a 503 (Temporal busy past the call's deadline, as two cores running the
    // whole suite may be) is tried again after its Retry-After (5 s), the same body, for up to a
    // minute; the file's lines are too.
    const post = async (path: string, raw: string) => {
      for (let attempt = 1; ; attempt++) {
        const r = await stack.call('POST', path, region.token, undefined, raw);
        if (r.status !== 503 || attempt === 12)
          return { status: r.status, code: r.body?.error?.code as string | undefined };
        await new Promise((done) => setTimeout(done, 5000));
      }
    };
    const [direct] = await Promise.all([oneByOne(viaCalls, post), waitDone(region.token, fluxId)]);

    const status = await waitDone(region.token, fluxId);
    expect(status).toMatchObject({ lignes: viaFile.length, traitees: viaFile.length });
    expect(status.acceptees + status.refusees).toBe(viaFile.length);
    expect(status.fin).not.toBeNull();
    const answers = await allAnswers(region.token, fluxId);
    expect(answers.map((a) => a.ligne)).toEqual(viaFile.map((_, i) => i + 1));

    // Line by line: the same status and error code as the single call.
    for (const a of answers) {
      const single = direct.get(a.ligne);
      if (!single) {
        expect(a, `line ${a.ligne} has no single call`).toMatchObject({
          status: 400,
          code: 'VALIDATION_ERROR',
        });
        continue;
      }
      // A creation run again after a crash answers 200 (the same creation): not here, none crashed.
      expect({ ligne: a.ligne, status: a.status, code: a.code }).toEqual({
        ligne: a.ligne,
        status: single.status,
        code: single.code,
      });
    }
    const refused = await allAnswers(region.token, fluxId, 'REFUSE');
    expect(refused.length).toBe(status.refusees);
    expect(refused.every((a) => a.status >= 400 && a.code)).toBe(true);
    // The other Region's dossier, in the same territory: seen, not acted on.
    expect(refused.find((a) => a.objet === foreign.dossierId)).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });

    // The same dossiers: state and version of each, file against calls.
    const states = async (prefix: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ idPrefix: `${prefix}-`, sort: 'numero', limit: '500' });
        if (cursor) q.set('cursor', cursor);
        const page = await stack.call('GET', `/v1/dossiers?${q}`, region.token);
        expect(page.status).toBe(200);
        for (const d of page.body.items)
          out.push(
            `${d.dossierId.slice(prefix.length)} ${d.status} ${d.issue} ${d.interrompu} v${d.version}`,
          );
        cursor = page.body.nextCursor;
      } while (cursor);
      return out;
    };
    const fileStates = await states(
      String((viaFile[0] as { dossierId: string }).dossierId).replace(/-0$/, ''),
    );
    const callStates = await states(
      String((viaCalls[0] as { dossierId: string }).dossierId).replace(/-0$/, ''),
    );
    expect(fileStates).toHaveLength(n);
    expect(fileStates).toEqual(callStates);

    // The same histories, though a dossier's consecutive events in the file went in one Update.
    const filePrefix = String((viaFile[0] as { dossierId: string }).dossierId).replace(/-0$/, '');
    const callPrefix = String((viaCalls[0] as { dossierId: string }).dossierId).replace(/-0$/, '');
    const entries = async (dossierId: string) => {
      const h = await stack.call('GET', `/v1/dossiers/${dossierId}/history`, region.token);
      expect(h.status).toBe(200);
      return h.body.events.map(
        (e: { seq: number; type: string; date: string }) => `${e.seq} ${e.type} ${e.date}`,
      );
    };
    const updates: string[] = [];
    for (let k = 0; k < 20; k++) {
      expect(await entries(`${filePrefix}-${k}`)).toEqual(await entries(`${callPrefix}-${k}`));
      const history = await stack.client.workflow.getHandle(`dossier-${filePrefix}-${k}`).fetchHistory();
      for (const e of history.events ?? []) {
        const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
        if (name) updates.push(name);
      }
    }
    expect(updates).toContain('events');

    // Sent again: the same file, nothing runs again.
    const again = await sendFile(region.token, ndjson(viaFile));
    expect(again).toEqual({ status: 202, body: { fluxId, lignes: viaFile.length } });
    expect(await waitDone(region.token, fluxId)).toEqual(status);
    const first = (viaFile[0] as { dossierId: string }).dossierId;
    const read = await stack.call('GET', `/v1/dossiers/${first}`, region.token);
    const d = read.body;
    expect(`-0 ${d.status} ${d.issue} ${d.interrompu} v${d.version}`).toBe(fileStates[0]);
  }, 300_000);

  it('keeps a file to its sender and refuses what is not a file', async () => {
    const sent = await sendFile(
      of.token,
      `${JSON.stringify({ op: 'EVENT', dossierId: 'NOPE-1', eventId: randomUUID(), type: 'ENTREE', date: '2026-02-01' })}\n`,
    );
    expect(sent.status).toBe(202);
    const fluxId = sent.body.fluxId as string;
    await waitDone(of.token, fluxId);
    expect(await allAnswers(of.token, fluxId)).toEqual([
      { ligne: 1, status: 404, code: 'NOT_FOUND', message: expect.any(String), objet: 'NOPE-1' },
    ]);
    expect((await stack.call('GET', `/v1/flux/${fluxId}`, region.token)).status).toBe(404);
    expect((await stack.call('GET', `/v1/flux/${fluxId}`, ADMIN_TOKEN)).status).toBe(200);
    expect((await stack.call('GET', '/v1/flux/not-an-id', of.token)).status).toBe(400);
    expect((await stack.call('GET', `/v1/flux/${fluxId}/resultats?statut=PEUT-ETRE`, of.token)).status).toBe(
      400,
    );
    // Not NDJSON, empty.
    const json = await stack.call('POST', '/v1/flux', of.token, { op: 'CREATE' });
    expect(json.status).toBe(400);
    expect(json.body.error.message).toContain('application/x-ndjson');
    expect((await sendFile(of.token, '\n\n')).status).toBe(400);
    expect((await stack.call('POST', '/v1/flux', null)).status).toBe(401);
  }, 60_000);

  it('answers lines PostgreSQL cannot hold as they are (NUL), and never quotes a line in its answer', async () => {
    const lines = [
      '\u0000garbage',
      '{"op": "CREATE", "nir": "185077512345',
      // V8's message would quote the ten characters before and after the fault.
      '{"op": "CREATE", "nom": "Dupont", "nir": "185077512345678", "x": oops}',
      JSON.stringify({ op: 'CREATE', ...createBody(), dossierId: 'A\u0000B' }),
      JSON.stringify({
        op: 'EVENT',
        dossierId: 'X\u0000Y',
        eventId: randomUUID(),
        type: 'ENTREE',
        date: '2026-02-01',
      }),
    ];
    const sent = await sendFile(of.token, `${lines.join('\n')}\n`);
    expect(sent.status).toBe(202);
    const fluxId = sent.body.fluxId as string;
    const done = await waitDone(of.token, fluxId);
    expect(done).toMatchObject({ traitees: 5, refusees: 5 });
    const answers = await allAnswers(of.token, fluxId);
    expect(answers.map((a) => [a.ligne, a.status])).toEqual([
      [1, 400],
      [2, 400],
      [3, 400],
      [4, 400],
      [5, 400],
    ]);
    const text = JSON.stringify(answers);
    expect(text).not.toContain('\u0000');
    expect(text).not.toContain('185077');
    expect(text).not.toContain('Dupont');
    expect(text).toContain("Unexpected token '\\\\u0000' in JSON at position 0");
    expect(text).toContain("line 3 is not JSON: Unexpected token 'o' in JSON at position 65");
    // Refused before any route, they are in the data-quality log as a single call's would be.
    const log = await stack.call('GET', '/v1/quality/rejections', of.token);
    const messages = log.body.items.map((r: { message: string }) => r.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^line 1 is not JSON/),
        expect.stringMatching(/^line 2 is not JSON/),
        expect.stringMatching(/^line 3 is not JSON/),
      ]),
    );
    expect(JSON.stringify(log.body)).not.toContain('185077');
    expect(JSON.stringify(log.body)).not.toContain('Dupont');
    expect(JSON.stringify(log.body)).not.toContain('\u0000');
  }, 60_000);

  it('forgets a file AGORA_FLUX_RETENTION_DAYS after it ran, not before, not while it runs', async () => {
    const line = () =>
      `${JSON.stringify({ op: 'EVENT', dossierId: `NOPE-${uid()}`, eventId: randomUUID(), type: 'ENTREE', date: '2026-02-01' })}\n`;
    const [old, recent] = [
      (await sendFile(of.token, line())).body.fluxId,
      (await sendFile(of.token, line())).body.fluxId,
    ];
    await waitDone(of.token, old);
    await waitDone(of.token, recent);
    const conn = stack.orm.em.getConnection();
    await conn.execute(`update flux set fin = now() - interval '31 days' where flux_id = ?`, [old]);
    // A file still running (no end yet) is never purged, however old.
    const running = randomUUID().replaceAll('-', '');
    await storeFlux(stack.orm.em.fork(), { fluxId: running, sender: of.siret, actor: ADMIN, lots: 1 }, []);
    await conn.execute(`update flux set debut = now() - interval '400 days' where flux_id = ?`, [running]);

    const purged = await purgeFinishedFlux(stack.orm.em.fork(), {
      finishedBefore: new Date(Date.now() - 30 * 86_400_000),
    });
    expect(purged).toEqual({ files: 1, lines: 1 });
    expect((await stack.call('GET', `/v1/flux/${old}`, of.token)).status).toBe(404);
    expect((await stack.call('GET', `/v1/flux/${old}/resultats`, of.token)).status).toBe(404);
    const lines = await conn.execute<{ n: number }[]>(
      'select count(*)::int as n from flux_lignes where flux_id = ?',
      [old],
    );
    expect(lines[0]!.n).toBe(0);
    expect((await stack.call('GET', `/v1/flux/${recent}`, of.token)).status).toBe(200);
    expect((await stack.call('GET', `/v1/flux/${running}`, ADMIN_TOKEN)).body.statut).toBe('EN_COURS');
  }, 60_000);
});

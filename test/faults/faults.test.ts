import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dsnFile } from '../../bench/dsn-import';
import { ROOT } from '../../infra/paths';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';
import { Platform, type LoadResult, partnerLoad, partners, verify, waitReady } from './harness';
import { webhookReceiver } from '../helpers/webhook-receiver';
import { mixedFile, ndjson, oneByOne } from '../helpers/flux-file';

/**
 * Faults on the real stack, each while partners' traffic runs: at the end every accepted event
 * took effect exactly once and the read model equals the workflows' state. The figures of each
 * run are written to test-artifacts/fault-*.json (docs/RELIABILITY.md reports them).
 */
const platform = new Platform(`/tmp/agora-faults-${process.pid}`);
let who: Awaited<ReturnType<typeof partners>>;
const DOSSIERS = 30;

beforeAll(async () => {
  await platform.start();
  who = await partners(platform.apiUrls[0]!);
}, 180_000);
afterAll(async () => {
  await platform.stop();
}, 60_000);

async function runWithFault(
  name: string,
  fault: () => Promise<void>,
  at = 0.25,
  extra: (load: LoadResult) => Record<string, number> = () => ({}),
) {
  let fired: Promise<void> | null = null;
  const started = Date.now();
  const load: LoadResult = await partnerLoad(platform.apiUrls, who.tokens, who.parties, DOSSIERS, {
    prefix: `F-${name}`,
    onProgress: (done, total) => {
      if (!fired && done >= total * at) fired = fault();
    },
  });
  await fired;
  const check = await verify(platform.apiUrls[1]!, platform.pg.url, load);
  const figures: Record<string, number> = {
    dossiers: DOSSIERS,
    eventsSent: load.sent,
    accepted: load.accepted,
    retriedRequests: load.retried,
    lost: check.lost,
    duplicated: check.duplicated,
    unexpected: check.unexpected,
    readModelBehind: check.readModelBehind,
    ledgerBehind: check.ledgerBehind,
    seconds: Math.round((Date.now() - started) / 1000),
    ...extra(load),
  };
  platform.report(name, figures);
  expect(figures).toMatchObject({
    accepted: load.sent,
    lost: 0,
    duplicated: 0,
    unexpected: 0,
    readModelBehind: 0,
    ledgerBehind: 0,
  });
  return figures;
}

const metric = async (url: string, re: RegExp) => {
  const text = await (await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  return [...text.matchAll(re)].reduce((t, m) => t + Number(m[1]), 0);
};

describe('faults under load', () => {
  it('two workers and two API instances share the load with no double effect', async () => {
    await runWithFault('none', async () => undefined);
    for (const port of platform.ports.workerMetrics) {
      const tasks = await metric(
        `http://127.0.0.1:${port}/metrics`,
        /temporal_workflow_task_execution_latency_count\{[^}]*\} (\d+)/g,
      );
      expect(tasks, `worker on ${port}`).toBeGreaterThan(0);
    }
    for (const url of platform.apiUrls) {
      expect(
        await metric(`${url}/metrics`, /agora_events_total\{[^}]*result="accepted"[^}]*\} (\d+)/g),
      ).toBeGreaterThan(0);
    }
  }, 240_000);

  it('survives both workers killed with SIGKILL mid-load, then restarted; a webhook still gets every change', async () => {
    const api = platform.apiUrls[0]!;
    const receiver = await webhookReceiver();
    const auth = { authorization: `Bearer ${who.tokens.financeur}`, 'content-type': 'application/json' };
    // The webhook delivers from its creation on: the feed is compared from the same point.
    const readFeed = async (from: string) => {
      const items: { id: string; version: number }[] = [];
      for (let cursor = from; ;) {
        const page = (await (
          await fetch(`${api}/v1/changes?limit=1000&cursor=${encodeURIComponent(cursor)}`, { headers: auth })
        ).json()) as { items: { id: string; version: number }[]; nextCursor: string };
        items.push(...page.items);
        cursor = page.nextCursor;
        if (page.items.length < 1000) return { items, cursor };
      }
    };
    const start = (await readFeed('')).cursor;
    const hook = await fetch(`${api}/v1/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url }),
    });
    expect(hook.status).toBe(201);
    const { id } = (await hook.json()) as { id: string };
    try {
      await runWithFault('worker-sigkill', async () => {
        for (const w of platform.workers) w.kill('SIGKILL');
      });
      // The Region's whole feed, then the same changes acknowledged by its receiver (a batch the
      // killed workers were sending comes again: deduped on id + version), in the same order.
      const feed = (await readFeed(start)).items;
      const key = (c: { id: string; version: number }) => `${c.id}@${c.version}`;
      const acknowledged = () => [...new Map(receiver.acknowledged().map((c) => [key(c), c])).keys()];
      for (let i = 0; i < 120 && acknowledged().length < feed.length; i++)
        await new Promise((r) => setTimeout(r, 1000));
      expect(acknowledged()).toEqual(feed.map(key));
      expect(receiver.received.every((r) => JSON.parse(r.body).items.length <= 100)).toBe(true);
    } finally {
      await fetch(`${api}/v1/webhooks/${id}`, { method: 'DELETE', headers: auth });
      await receiver.close();
    }
  }, 360_000);

  it('survives an API instance killed mid-load, clients retrying on the other', async () => {
    await runWithFault('api-sigkill', async () => platform.apis[0]!.kill('SIGKILL'));
    await waitReady(platform.apiUrls[0]!);
  }, 240_000);

  it('survives a restart of the Temporal server (persistent file): states kept', async () => {
    await runWithFault('temporal-restart', async () => {
      await platform.stopTemporal();
      await new Promise((r) => setTimeout(r, 2000));
      await platform.startTemporal();
    });
    for (const url of platform.apiUrls) await waitReady(url);
  }, 240_000);

  it('goes on through 30 s without PostgreSQL: /readyz says so, events are accepted, creations wait, the record catches up', async () => {
    let ready: unknown = null;
    const outage = { from: 0, to: 0 };
    const figures = await runWithFault(
      'postgres-stop-30s',
      async () => {
        platform.pg.stop();
        outage.from = Date.now();
        await new Promise((r) => setTimeout(r, 1000));
        const res = await fetch(`${platform.apiUrls[0]}/readyz`);
        ready = { status: res.status, body: await res.json() };
        await new Promise((r) => setTimeout(r, 29_000));
        outage.to = Date.now();
        await platform.pg.start();
      },
      0.05,
      (load) => ({
        acceptedDuringOutage: load.acceptedAt.filter((t) => t > outage.from && t < outage.to).length,
      }),
    );
    expect(ready).toEqual({
      status: 503,
      body: { status: 'unavailable', temporal: 'ok', database: 'unreachable' },
    });
    // Events of the dossiers in flight go on; a creation needs the database to claim its id for
    // ever, so it answers 503 until the database is back (the partners retry).
    expect(figures.acceptedDuringOutage).toBeGreaterThan(5);
  }, 300_000);

  it('runs a partner file of 5,000 mixed lines through both workers killed halfway: the answers and dossiers of the same calls one by one', async () => {
    const url = platform.apiUrls[0]!;
    const token = who.tokens.financeur;
    const auth = { authorization: `Bearer ${token}` };
    const parties = {
      organisme: who.parties.of,
      financeur: who.parties.financeur,
      foreign: `NOPE-${Date.now()}`,
    };
    const n = 920;
    const viaFile = mixedFile(`FF-${Date.now()}`, n, parties);
    const viaCalls = mixedFile(`FK-${Date.now()}`, n, parties);
    expect(viaFile.length).toBeGreaterThanOrEqual(5000);
    const sent = await fetch(`${url}/v1/flux`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: ndjson(viaFile),
    });
    expect(sent.status).toBe(202);
    const { fluxId } = (await sent.json()) as { fluxId: string };
    const status = async () =>
      (await (await fetch(`${url}/v1/flux/${fluxId}`, { headers: auth })).json()) as {
        statut: string;
        traitees: number;
        acceptees: number;
        refusees: number;
      };
    let killedAt = 0;
    const started = Date.now();
    for (;;) {
      const s = await status();
      if (!killedAt && s.traitees >= viaFile.length / 4) {
        killedAt = s.traitees;
        for (const w of platform.workers) w.kill('SIGKILL');
      }
      if (s.statut === 'TERMINE') break;
      if (Date.now() - started > 400_000) throw new Error(`file still running: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(viaFile.length);
    const final = await status();
    const answers: { ligne: number; status: number; code?: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await fetch(`${url}/v1/flux/${fluxId}/resultats?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: auth,
        })
      ).json()) as { items: typeof answers; nextCursor: string | null };
      answers.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(answers.map((a) => a.ligne)).toEqual(viaFile.map((_, i) => i + 1));
    const direct = await oneByOne(viaCalls, async (path, body) => {
      const r = await fetch(`${platform.apiUrls[1]}${path}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
      return { status: r.status, code: ((await r.json()) as { error?: { code?: string } }).error?.code };
    });
    let reran = 0;
    for (const a of answers) {
      const single = direct.get(a.ligne);
      if (!single) {
        expect(a).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
        continue;
      }
      // A creation that ran just before the kill, its answer not yet written, ran again: 200,
      // the same creation (at most one line per dossier in flight).
      if (a.status === 200 && single.status === 201) {
        reran++;
        continue;
      }
      expect({ ligne: a.ligne, status: a.status, code: a.code }).toEqual({ ligne: a.ligne, ...single });
    }
    const states = async (prefix: string) => {
      const out: string[] = [];
      let next: string | null = null;
      do {
        const q = new URLSearchParams({ idPrefix: `${prefix}-`, sort: 'numero', limit: '500' });
        if (next) q.set('cursor', next);
        const page = (await (await fetch(`${url}/v1/dossiers?${q}`, { headers: auth })).json()) as {
          items: {
            dossierId: string;
            status: string;
            issue: string | null;
            interrompu: boolean;
            version: number;
          }[];
          nextCursor: string | null;
        };
        for (const d of page.items)
          out.push(
            `${d.dossierId.slice(prefix.length)} ${d.status} ${d.issue} ${d.interrompu} v${d.version}`,
          );
        next = page.nextCursor;
      } while (next);
      return out;
    };
    const prefixOf = (lines: typeof viaFile) =>
      String((lines[0] as { dossierId: string }).dossierId).replace(/-0$/, '');
    const fileStates = await states(prefixOf(viaFile));
    expect(fileStates).toHaveLength(n);
    expect(fileStates).toEqual(await states(prefixOf(viaCalls)));
    platform.report('flux-workers-sigkill', {
      lines: viaFile.length,
      killedAtLine: killedAt,
      accepted: final.acceptees,
      refused: final.refusees,
      creationsRunAgain: reran,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    for (const u of platform.apiUrls) await waitReady(u);
  }, 600_000);

  it('keeps the previous data of a month when its import is killed halfway', async () => {
    const url = platform.apiUrls[0]!;
    const mois = '2021-06';
    // The month as it was: the first three lines of the big file.
    const file = await dsnFile(600_000);
    const head = readFileSync(file, 'utf8').slice(0, 2000).split('\n').slice(0, 4).join('\n');
    const small = await fetch(`${url}/v1/dsn/imports?mois=${mois}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: head,
    });
    expect(small.status).toBe(200);
    expect(((await small.json()) as { lignes: number }).lignes).toBe(3);
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/agora.js'), 'dsn', 'import', file, '--month', mois],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: platform.pg.url,
          TEMPORAL_ADDRESS: `127.0.0.1:${platform.ports.temporal}`,
          AGORA_DATA_KEY: TEST_DATA_KEY,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let killedAt = '';
    await new Promise<void>((resolve) => {
      createInterface({ input: child.stderr! }).on('line', (line) => {
        // The first progress line, once 200,000 of the 600,000 lines are in.
        if (!killedAt && / [2-5]\d\d,\d{3} lines, /.test(line)) {
          killedAt = line;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(killedAt).not.toBe('');
    const months = (await (
      await fetch(`${url}/v1/dsn/months`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { items: { mois: string; lignes: number }[] };
    const after = months.items.find((m) => m.mois === mois)?.lignes;
    platform.report('dsn-import-killed', { killedAt, previousLines: 3, monthLinesAfter: after });
    expect(after).toBe(3);
    // The next import of the month goes through (the dead one's table is cleaned up).
    const again = await fetch(`${url}/v1/dsn/imports?mois=${mois}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: head,
    });
    expect(again.status).toBe(200);
  }, 240_000);
});

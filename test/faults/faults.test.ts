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
        if (!killedAt && / (2|4)00,000 lines/.test(line)) {
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

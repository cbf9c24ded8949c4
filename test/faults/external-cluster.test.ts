import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate, openOrm } from '../../db/orm';
import { ROOT } from '../../infra/paths';
import { ensureDatabase } from '../../scripts/postgres';
import { Supervised } from '../../scripts/supervisor';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { agoraWith } from '../helpers/agora-cli';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../workflows/search-attributes';
import { createBody } from '../helpers/fixtures';
import { freePort } from '../helpers/global-setup';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';
import { partnerLoad, partners, verify, waitReady } from './harness';

/**
 * The stack on a Temporal cluster it did not start, as an operator runs it: a server started apart
 * with a namespace of its own and none of the platform's search attributes, then `npm start`
 * against it (it makes the namespace ready), a second worker and a second API instance beside it,
 * tracing to an OTLP receiver of the test's own.
 */
const dir = `/tmp/agora-external-${process.pid}`;
const namespace = `agora-ext-${process.pid}`;
let temporal: ChildProcess;
let address = '';
let databaseUrl = '';
let start: ChildProcess | null = null;
const extra: Supervised[] = [];
const lines: string[] = [];
const ports = { api: 0, api2: 0, metrics: 0, otlp: 0 };
let receiver: Server;
/** Every OTLP/JSON body received, as sent (to search for personal data), and its spans. */
const bodies: string[] = [];
const spans: { service: string; instance: string; traceId: string; name: string }[] = [];

let env: NodeJS.ProcessEnv;
let who: Awaited<ReturnType<typeof partners>>;
const api = () => `http://127.0.0.1:${ports.api}`;
const api2 = () => `http://127.0.0.1:${ports.api2}`;

const until = async (what: string, check: () => boolean, seconds = 120) => {
  for (let i = 0; i < seconds * 4 && !check(); i++) await new Promise((r) => setTimeout(r, 250));
  if (!check()) throw new Error(`timed out waiting for ${what}:\n${lines.slice(-30).join('\n')}`);
};

const agora = (...args: string[]) => agoraWith(env, ...args);

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_external';
  databaseUrl = u.toString();
  await ensureDatabase(databaseUrl, { fresh: true });
  const orm = await openOrm(databaseUrl, { poolMax: 1 });
  await migrate(orm);
  await orm.close();
  ports.api = await freePort();
  ports.api2 = await freePort();
  ports.metrics = await freePort();
  ports.otlp = await freePort();
  const temporalPort = await freePort();
  address = `127.0.0.1:${temporalPort}`;
  // A bare cluster: a namespace of its own, none of the platform's search attributes.
  temporal = await startDevServer({
    temporalCli: inject('temporalCli'),
    port: temporalPort,
    headless: true,
    namespace,
    searchAttributes: false,
    logFile: join(dir, 'temporal.log'),
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(body);
      type Otlp = {
        resourceSpans?: {
          resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
          scopeSpans?: { spans?: { traceId: string; name: string }[] }[];
        }[];
      };
      let parsed: Otlp = {};
      try {
        parsed = JSON.parse(body) as Otlp;
      } catch {
        console.log('unparsable OTLP', req.headers['content-type'], body.slice(0, 200));
      }
      for (const rs of parsed.resourceSpans ?? []) {
        const attr = (key: string) =>
          rs.resource?.attributes?.find((a) => a.key === key)?.value.stringValue ?? '';
        const service = attr('service.name');
        const instance = attr('service.instance.id');
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) spans.push({ service, instance, traceId: s.traceId, name: s.name });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(ports.otlp, '127.0.0.1', () => r()));
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    AGORA_TEMPORAL_EMBEDDED: '0',
    DATABASE_URL: databaseUrl,
    AGORA_ADMIN_TOKEN: ADMIN_TOKEN,
    AGORA_DATA_KEY: TEST_DATA_KEY,
    AGORA_DATA_DIR: dir,
    AGORA_RATE_LIMIT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlp}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    LOG_LEVEL: 'warn',
  };
}, 120_000);

afterAll(async () => {
  await Promise.all(extra.map((c) => c.stop()));
  if (start && start.exitCode === null) {
    start.kill('SIGINT');
    await until('npm start to stop', () => start!.exitCode !== null, 60).catch(() => start!.kill('SIGKILL'));
  }
  if (temporal) await stopChild(temporal, 10_000);
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe('a Temporal cluster of its own', () => {
  it('before set-up: /readyz names the missing search attributes, a creation answers 503, never 500', async () => {
    // The second API instance, started first: it sees the bare namespace.
    const second = new Supervised(
      'api2',
      'api/server.ts',
      [],
      { ...env, PORT: String(ports.api2) },
      (m) => void lines.push(`[supervisor] ${m}`),
      (l) => void lines.push(`[api2] ${l}`),
    );
    extra.push(second);
    second.start();
    let ready: Response | null = null;
    for (let i = 0; i < 240 && !ready; i++) {
      ready = await fetch(`${api2()}/readyz`).catch(() => null);
      if (!ready) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready!.status).toBe(503);
    const body = (await ready!.json()) as { status: string; temporal: string; missing: string[] };
    expect(body.status).toBe('unavailable');
    expect(body.temporal).toBe('ok');
    expect(body.missing).toEqual(
      Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).map((n) => `search attribute ${n} (npx agora setup)`),
    );
    who = await partners(api2());
    const res = await fetch(`${api2()}/v1/dossiers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.tokens.financeur}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        createBody({
          organisme: { siret: who.parties.of, raisonSociale: 'OF' },
          financements: [{ financeurSiret: who.parties.financeur, montantEngage: 100 }],
        }),
      ),
    });
    expect(res.status, `${await res.clone().text()}\n${lines.join('\n')}`).toBe(503);
    const refused = (await res.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe('UNAVAILABLE');
    expect(refused.error.message).toMatch(/agora setup/);
  }, 90_000);

  it('npm start makes the namespace ready; agora setup again finds it so', async () => {
    start = spawn(process.execPath, [join(ROOT, 'scripts/bootstrap.mjs'), 'scripts/start.ts'], {
      cwd: ROOT,
      env: { ...env, PORT: String(ports.api), AGORA_WORKER_METRICS: `127.0.0.1:${ports.metrics}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [start.stdout!, start.stderr!])
      createInterface({ input: stream }).on('line', (l) => lines.push(l));
    await until('the stack', () => lines.some((l) => l.includes('agora-flow is running')));
    expect(lines.some((l) => l.includes('registered the search attributes DossierStatus'))).toBe(true);
    await waitReady(api());
    // The instance that saw the bare namespace is ready now too.
    await waitReady(api2());

    // Idempotent: a second set-up finds everything there.
    const again = await agora('setup', '--json');
    expect(again.code, again.err).toBe(0);
    const report = JSON.parse(again.out) as {
      namespace: string;
      searchAttributes: { added: string[]; present: string[] };
      schedules: string;
      retentionDays: number;
      problems: string[];
    };
    expect(report).toMatchObject({
      namespace,
      searchAttributes: { added: [], present: Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS) },
      schedules: 'ensured',
      problems: [],
    });
    expect(report.retentionDays).toBeGreaterThanOrEqual(1);

    // A second worker beside npm start's own (it bundles its workflows with the tracing interceptors).
    const worker2 = new Supervised(
      'worker2',
      'worker/main.ts',
      [],
      { ...env, AGORA_WORKER_METRICS: '', LOG_LEVEL: 'info' },
      (m) => void lines.push(`[supervisor] ${m}`),
      (l) => void lines.push(`[worker2] ${l}`),
    );
    extra.push(worker2);
    worker2.start();
    await until('the second worker', () =>
      lines.some((l) => l.startsWith('[worker2]') && l.includes('worker ready')),
    );
  }, 240_000);

  it('runs partners through the whole lifecycle on two APIs and two workers with no 5xx; dossiers found by DossierStatus', async () => {
    const load = await partnerLoad([api(), api2()], who.tokens, who.parties, 6, {
      prefix: `EXT-${process.pid}`,
      concurrency: 3,
    });
    expect(Object.keys(load.failures).filter((s) => s.startsWith('5'))).toEqual([]);
    const check = await verify(api(), databaseUrl, load);
    expect(check).toMatchObject({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      readModelBehind: 0,
      ledgerBehind: 0,
    });

    // The namespace's visibility finds them by the platform's search attribute.
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection, namespace });
      let found = 0;
      for (let i = 0; i < 40 && found < load.dossiers.length; i++) {
        found = (await client.workflow.count(`DossierStatus = 'CLOS' AND Dispositif = '${load.prefix}'`))
          .count;
        if (found < load.dossiers.length) await new Promise((r) => setTimeout(r, 250));
      }
      expect(found).toBe(load.dossiers.length);
    } finally {
      await connection.close();
    }
  }, 240_000);

  it('traces one partner call from the API to the worker under one trace id, with no personal data', async () => {
    const nir = '279127512345641';
    const body = createBody({
      stagiaire: { nir, nom: 'Zebulonesque', prenom: 'Philomenette', dateNaissance: '1979-12-03' },
      organisme: { siret: who.parties.of, raisonSociale: 'OF' },
      financements: [{ financeurSiret: who.parties.financeur, montantEngage: 100 }],
    });
    const created = await fetch(`${api()}/v1/dossiers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.tokens.financeur}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const event = await fetch(`${api()}/v1/dossiers/${body.dossierId}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.tokens.financeur}`, 'content-type': 'application/json' },
      body: JSON.stringify({ eventId: `${body.dossierId}-v`, type: 'VALIDATION', date: '2026-01-20' }),
    });
    expect(event.status).toBe(200);

    // The event's request span, and the worker's spans under its trace id (the update it ran).
    const request = () =>
      spans.filter((s) => s.service === 'agora-flow-api' && s.name === 'POST /v1/dossiers/:dossierId/events');
    const workerSpansOf = (traceId: string) =>
      spans.filter((s) => s.traceId === traceId && s.service === 'agora-flow-worker');
    await until(
      'the spans of the event',
      () => request().some((r) => workerSpansOf(r.traceId).length > 0),
      30,
    );
    const traceId = request().find((r) => workerSpansOf(r.traceId).length > 0)!.traceId;
    const trace = spans.filter((s) => s.traceId === traceId);
    // The API's request and its Temporal client call, the worker's update handler.
    expect(trace.filter((s) => s.service === 'agora-flow-api').map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'POST /v1/dossiers/:dossierId/events',
        expect.stringMatching(/^StartWorkflowUpdate/),
      ]),
    );
    expect(workerSpansOf(traceId).map((s) => s.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Update/)]),
    );
    // The creation's trace: the request and the client's start, one trace id (the workflow's own
    // run span ends with the workflow, months later).
    const creation = spans.find((s) => s.service === 'agora-flow-api' && s.name === 'POST /v1/dossiers');
    expect(spans.filter((s) => s.traceId === creation?.traceId).map((s) => s.name)).toContain(
      'StartWorkflow:dossierWorkflow',
    );

    // Nothing personal anywhere in what was exported, nor the dossier's query strings.
    const all = bodies.join('\n');
    for (const secret of [
      nir,
      'Zebulonesque',
      'Philomenette',
      '1979-12-03',
      ADMIN_TOKEN,
      who.tokens.financeur,
    ])
      expect(all).not.toContain(secret);
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { dataConverter } from '../../infra/temporal';
import { TEST_DATA_KEY } from '../helpers/stack';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DossierState } from '../../domain/dossier-state';
import type { Actor } from '../../domain/authorization';
import type { DossierEvent } from '../../domain/schemas';
import type { ContractLine } from '../../domain/best-job';
import type { MonthLookup } from '../../domain/situations';
import { bodyHash } from '../../infra/canonical-hash';
import { vouchKey } from '../../infra/pseudonym';
import { vouch } from '../../domain/vouch';
import type { LedgerEntry, LedgerKnowledge } from '../../domain/dossier-aggregate';
import { dossierWorkflowId, eventUpdate, recordQuery, stateQuery } from '../../workflows/dossier-messages';
import { SIRETS, createBody, nir } from '../helpers/fixtures';

const financeur: Actor = {
  admin: false,
  partnerId: 'p1',
  siret: SIRETS.region84,
  kind: 'REGION',
  region: '84',
};
let env: TestWorkflowEnvironment;
const converter = dataConverter({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined });
const VOUCH_KEY = vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY });
const projected: DossierState[] = [];
/** The fake ledger the workflows' own projections write: dossierId -> seq -> entry. */
const ledger = new Map<string, Map<number, LedgerEntry>>();
const ledgerOf = (dossierId: string) =>
  [...(ledger.get(dossierId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
/** The DSN months the fake look-up activity serves: mois -> load version and lines by NIR. */
const dsnStore = new Map<string, { version: number; lines: (ContractLine & { nir: string })[] }>();
/** The months of each look-up the workflows asked for, in order. */
const lookups: string[][] = [];
/** Runs inside a look-up after its read (to play a month loaded meanwhile). */
let afterRead: ((months: string[]) => Promise<void>) | null = null;

// A server of its own for each test: a workflow left by one test (even terminated) can hold back
// the server's time skipping in the next, and this server starts in well under a second.
beforeEach(async () => {
  dsnStore.clear();
  lookups.length = 0;
  afterRead = null;
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
});
afterEach(async () => {
  await env?.teardown();
});

function fakeActivities() {
  return {
    async projectDossier({ state, entries = [] }: { state: DossierState; entries?: LedgerEntry[] }) {
      projected.push(state);
      const rows = ledger.get(state.dossierId) ?? new Map<number, LedgerEntry>();
      for (const e of entries) if (!rows.has(e.seq)) rows.set(e.seq, e);
      ledger.set(state.dossierId, rows);
    },
    async lookupDsn({ nir, months }: { dossierId: string; nir: string; months: string[] }) {
      lookups.push(months);
      const out: Record<string, MonthLookup> = {};
      for (const m of months) {
        const month = dsnStore.get(m);
        out[m] = month ? { version: month.version, lines: month.lines.filter((l) => l.nir === nir) } : null;
      }
      await afterRead?.(months);
      return out;
    },
  };
}

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: fakeActivities(),
    // No sticky queue: a task left on a stopped worker's sticky queue would wait for a timeout
    // that the time-skipping server never reaches while the task is outstanding.
    maxCachedWorkflows: 0,
  });
  return worker.runUntil(async () => {
    return fn(taskQueue);
  });
}

async function start(taskQueue: string, opts: { maxUpdatesPerRun?: number; callerProjects?: boolean } = {}) {
  const body = createBody();
  const handle = await env.client.workflow.start('dossierWorkflow', {
    taskQueue,
    workflowId: dossierWorkflowId(body.dossierId),
    args: [
      {
        create: { body, bodyHash: bodyHash(body), actor: financeur, receivedAt: '2026-01-15T08:00:00.000Z' },
        vouchKey: VOUCH_KEY,
        ...opts,
      },
    ],
  });
  return { handle, body };
}

function send(
  handle: WorkflowHandle,
  event: Record<string, unknown>,
  callerProjects?: boolean,
  dsnNotLoaded?: string[],
  knowledge?: LedgerKnowledge,
) {
  const e = event as DossierEvent;
  const message = {
    event: e,
    bodyHash: bodyHash(e),
    actor: financeur,
    receivedAt: new Date().toISOString(),
    ...(callerProjects ? { callerProjects } : {}),
    ...(dsnNotLoaded ? { dsnNotLoaded } : {}),
    ...(knowledge ? { ledger: knowledge } : {}),
  };
  // Vouched for as the API does (domain/vouch.ts): the workflow refuses anything else.
  const dossierId = handle.workflowId.slice('dossier-'.length);
  return handle.executeUpdate(eventUpdate, {
    args: [{ ...message, vouch: vouch(VOUCH_KEY, dossierId, message) }],
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
      await env.sleep('5 seconds');
      const { entries } = await handle.query(recordQuery);
      expect(
        [...ledgerOf(handle.workflowId.slice('dossier-'.length)), ...entries].map((h) => h.type),
      ).toEqual(['CREATION']);
    });
  });

  it('refuses a message the API did not vouch for: none, another key, or changed on the way', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await start(tq);
      const event = { eventId: 'forged', type: 'VALIDATION', date: '2026-01-20' } as DossierEvent;
      const message = {
        event,
        bodyHash: bodyHash(event),
        actor: { admin: true },
        receivedAt: new Date().toISOString(),
      };
      const forged = [
        message,
        { ...message, vouch: vouch('11'.repeat(32), body.dossierId, message) },
        { ...message, vouch: vouch(VOUCH_KEY, `${body.dossierId}-other`, message) },
        { ...message, vouch: vouch(VOUCH_KEY, body.dossierId, { ...message, actor: financeur }) },
      ];
      for (const [i, args] of forged.entries()) {
        const err = await handle
          .executeUpdate(eventUpdate, { args: [args as never], updateId: `forged-${i}` })
          .catch((e: unknown) => e);
        expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('FORBIDDEN');
      }
      expect((await handle.query(stateQuery)).version).toBe(1);
      // The same message, vouched for: taken.
      expect(
        (await send(handle, { eventId: 'ok', type: 'VALIDATION', date: '2026-01-20' })).state.status,
      ).toBe('VALIDE');
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

  it('leaves the projection of events to the caller that asks, and still projects its own DSN changes', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await start(tq, { callerProjects: true });
      // The validation month holds a job for the trainee: the look-up changes the situation.
      dsnStore.set('2026-01', {
        version: 7,
        lines: [
          {
            nir: body.stagiaire.nir,
            siret: '12345678200010',
            naf: '6201Z',
            natureContrat: '01',
            dateDebutContrat: '2020-01-01',
            dateFinContrat: null,
            heures: 151,
          },
        ],
      });
      const r = await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' }, true);
      expect(r.state.version).toBe(2);
      await env.sleep('5 seconds');
      await send(handle, { eventId: 'e', type: 'ENTREE', date: '2026-02-01' }, true);
      await env.sleep('5 seconds');
      const state = await handle.query(stateQuery);
      expect(state.situations.find((s) => s.point === 'VALIDATION')?.statut).toBe('EMPLOI');
      // Versions 1 (creation), 2 (validation) and 4 (entry) were the caller's; 3 (the DSN
      // look-up, between them) was the workflow's own.
      const versions = projected.filter((s) => s.dossierId === body.dossierId).map((s) => s.version);
      expect(versions).toEqual([3]);
      expect(state.version).toBe(4);
      // Its own projection wrote the entries it held; the caller's write the others.
      expect(ledgerOf(body.dossierId).map((e) => e.type)).toEqual(['CREATION', 'VALIDATION']);
    });
  });

  it('records a point as waiting with no look-up when the caller found its month not loaded', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq, { callerProjects: true });
      const r = await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' }, true, [
        '2026-01',
      ]);
      const point = r.state.situations.find((s) => s.point === 'VALIDATION')!;
      expect(point).toMatchObject({ mois: '2026-01', statut: 'EN_ATTENTE' });
      await env.sleep('5 seconds');
      expect(lookups).toEqual([]);
      // The month loaded later wakes the point by its signal, as for any waiting point.
      dsnStore.set('2026-01', { version: 3, lines: [] });
      await handle.signal('dsnMonthLoaded', { mois: '2026-01', version: 3 });
      await env.sleep('5 seconds');
      expect(lookups).toEqual([['2026-01']]);
      const after = (await handle.query(stateQuery)).situations.find((s) => s.point === 'VALIDATION')!;
      expect(after.statut).toBe('SANS_EMPLOI');
    });
  });

  it("looks up itself when a load of the month was signalled before the caller's word arrived", async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq, { callerProjects: true });
      dsnStore.set('2026-01', { version: 4, lines: [] });
      await handle.signal('dsnMonthLoaded', { mois: '2026-01', version: 4 });
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' }, true, ['2026-01']);
      await env.sleep('5 seconds');
      expect(lookups).toEqual([['2026-01']]);
      const point = (await handle.query(stateQuery)).situations.find((s) => s.point === 'VALIDATION')!;
      expect(point.statut).toBe('SANS_EMPLOI');
    });
  });

  it('waits on a month not loaded with no timer: no look-up for weeks, until the load wakes it', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq);
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      await env.sleep('5 seconds');
      expect(lookups).toEqual([['2026-01']]);
      // Runs before the central re-check looked again every week; the daily Schedule does it now.
      await env.sleep('8 weeks');
      expect(lookups).toEqual([['2026-01']]);
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.timerStartedEventAttributes)).toBe(false);
      dsnStore.set('2026-01', { version: 6, lines: [] });
      await handle.signal('dsnMonthLoaded', { mois: '2026-01', version: 6 });
      await env.sleep('5 seconds');
      expect(lookups).toEqual([['2026-01'], ['2026-01']]);
      const point = (await handle.query(stateQuery)).situations.find((s) => s.point === 'VALIDATION')!;
      expect(point.statut).toBe('SANS_EMPLOI');
    });
  });

  it('looks again when a month is loaded while its look-up runs and the read missed it', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq);
      afterRead = async (months) => {
        if (lookups.length !== 1) return;
        // The read found the month missing; the import then commits and signals the dossier.
        dsnStore.set(months[0]!, { version: 5, lines: [] });
        await handle.signal('dsnMonthLoaded', { mois: months[0]!, version: 5 });
      };
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      await env.sleep('5 seconds');
      expect(lookups).toEqual([['2026-01'], ['2026-01']]);
      const point = (await handle.query(stateQuery)).situations.find((s) => s.point === 'VALIDATION')!;
      expect(point).toMatchObject({ statut: 'SANS_EMPLOI', monthVersion: 5 });
    });
  });

  it('keeps its state and deduplication across continue-as-new, with every entry in the ledger first', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await start(tq, { maxUpdatesPerRun: 20 });
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' });
      await send(handle, { eventId: 'in', type: 'ENTREE', date: '2026-02-01' });
      // 20 Updates in a run force a continue-as-new (each a new fact: the same one told again
      // would be a confirmation).
      for (let i = 0; i < 20; i += 2) {
        const date = `2026-03-${10 + i}`;
        await send(handle, { eventId: `i${i}`, type: 'INTERRUPTION', date });
        await send(handle, { eventId: `r${i}`, type: 'REPRISE', date });
      }
      const firstRun = handle.firstExecutionRunId;
      await env.sleep('2 seconds');
      const latest = env.client.workflow.getHandle(handle.workflowId);
      const desc = await latest.describe();
      expect(desc.runId).not.toBe(firstRun);
      // The first run wrote its 23 entries to the ledger before it ended; the new run holds none.
      expect(ledgerOf(body.dossierId).map((e) => e.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
      expect((await latest.query(recordQuery)).entries).toEqual([]);
      const again = await send(latest, { eventId: 'in', type: 'ENTREE', date: '2026-02-01' });
      expect(again.outcome).toBe('duplicate');
      const state = await latest.query(stateQuery);
      expect(state.status).toBe('ENTRE');
      expect(state.interruptions).toHaveLength(10);
      // The next event is numbered after the ledger's last.
      const next = await send(latest, { eventId: 'i-next', type: 'INTERRUPTION', date: '2026-03-30' });
      expect(next.entries.map((e) => e.seq)).toEqual([24]);
    });
  });
});

describe('a read model that refuses the projection', () => {
  /** A worker whose projection fails `failures` times at once (non-retryable), then succeeds. */
  async function failingProjection(failures: number, fn: (tq: string) => Promise<void>) {
    const taskQueue = `wf-${randomUUID()}`;
    let left = failures;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      dataConverter: converter,
      activities: {
        ...fakeActivities(),
        async projectDossier(record: { state: DossierState; entries?: LedgerEntry[] }) {
          if (left-- > 0)
            throw ApplicationFailure.nonRetryable('the read model refused the row', 'DB_REFUSED');
          await fakeActivities().projectDossier(record);
        },
      },
      maxCachedWorkflows: 0,
    });
    await worker.runUntil(() => fn(taskQueue));
  }

  async function startEncrypted(taskQueue: string) {
    const client = new Client({ connection: env.connection, dataConverter: converter });
    const body = createBody();
    const handle = await client.workflow.start('dossierWorkflow', {
      taskQueue,
      workflowId: dossierWorkflowId(body.dossierId),
      args: [
        {
          create: {
            body,
            bodyHash: bodyHash(body),
            actor: financeur,
            receivedAt: '2026-01-15T08:00:00.000Z',
          },
          vouchKey: VOUCH_KEY,
        },
      ],
    });
    const deadline = Date.now() + 30_000;
    while (!projected.some((s) => s.dossierId === body.dossierId) && Date.now() < deadline) {
      await env.sleep('30 seconds');
    }
    return { handle, body };
  }

  it('waits a minute before projecting again, instead of retrying in a tight loop', async () => {
    await failingProjection(3, async (tq) => {
      const { handle, body } = await startEncrypted(tq);
      expect(projected.some((s) => s.dossierId === body.dossierId)).toBe(true);
      const events = (await handle.fetchHistory()).events ?? [];
      const timers = events.filter((e) => e.timerStartedEventAttributes);
      expect(timers.map((t) => Number(t.timerStartedEventAttributes!.startToFireTimeout!.seconds))).toEqual([
        60, 60, 60,
      ]);
      // Local activities: each failed call is a marker with its failure, its message encoded (it
      // may quote a dossier: it goes through the payload codec like a payload).
      const failed = events.filter(
        (e) =>
          e.markerRecordedEventAttributes?.markerName === 'core_local_activity' &&
          e.markerRecordedEventAttributes.failure,
      );
      expect(failed).toHaveLength(3);
      const failure = failed[0]!.markerRecordedEventAttributes!.failure!;
      expect(failure.message).toBe('Encoded failure');
      expect(failure.encodedAttributes?.metadata?.encoding).toBeDefined();
      expect(JSON.stringify(events)).not.toContain('the read model refused the row');
    });
  });
});

describe('the export workflow', () => {
  it('refuses a date or a region that would lead outside its folder, before anything is written', async () => {
    await withWorker(async (taskQueue) => {
      for (const input of [{ date: '../../etc' }, { date: '2026-11-30', regions: ['../84'] }]) {
        const err = await env.client.workflow
          .execute('insertionExportWorkflow', { taskQueue, workflowId: `x-${randomUUID()}`, args: [input] })
          .catch((e: unknown) => e);
        expect(((err as { cause?: ApplicationFailure }).cause as ApplicationFailure).type).toBe('BAD_INPUT');
      }
    });
  });
});

describe('employment follow-up (time-skipping server)', () => {
  const day = (offset: number) => {
    const d = new Date();
    d.setUTCDate(d.getUTCDate() + offset);
    return d.toISOString().slice(0, 10);
  };
  const job = (person: string, natureContrat: string, heures: number, siret = '12345678200010') => ({
    nir: person,
    siret,
    naf: '6201Z',
    natureContrat,
    dateDebutContrat: '2020-01-01',
    dateFinContrat: null,
    heures,
  });
  const situation = async (handle: WorkflowHandle, point: string) =>
    (await handle.query(stateQuery)).situations.find((s) => s.point === point)!;
  let version = 1000;
  /** Load a month in the fake DSN and send the signal an import would send. */
  const loadMonth = async (
    handle: WorkflowHandle | null,
    mois: string,
    lines: (ContractLine & { nir: string })[],
  ) => {
    version++;
    dsnStore.set(mois, { version, lines });
    if (handle) await handle.signal('dsnMonthLoaded', { mois, version });
  };
  const monthsAfter = (date: string, n: number) => {
    const [y, m] = date.split('-').map(Number) as [number, number];
    const t = y * 12 + (m - 1) + n;
    return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
  };

  async function exitedDossier(tq: string, person: string, callerProjects = false) {
    const body = createBody({ date: day(-40) });
    body.stagiaire.nir = person;
    const handle = await env.client.workflow.start('dossierWorkflow', {
      taskQueue: tq,
      workflowId: dossierWorkflowId(body.dossierId),
      args: [
        {
          create: { body, bodyHash: bodyHash(body), actor: financeur, receivedAt: new Date().toISOString() },
          vouchKey: VOUCH_KEY,
          ...(callerProjects ? { callerProjects } : {}),
        },
      ],
    });
    // A caller that projects also says which months it found not loaded (none loaded here).
    const notLoaded = (d: string) => (callerProjects ? [d.slice(0, 7)] : undefined);
    await send(
      handle,
      { eventId: 'v', type: 'VALIDATION', date: day(-30) },
      callerProjects,
      notLoaded(day(-30)),
    );
    await send(handle, { eventId: 'e', type: 'ENTREE', date: day(-20) }, callerProjects, notLoaded(day(-20)));
    await send(
      handle,
      { eventId: 's', type: 'SORTIE', date: day(0), motif: 'FIN_FORMATION' },
      callerProjects,
      notLoaded(day(0)),
    );
    return handle;
  }

  it('records the six points on time, wakes a late month by signal, then ends once closed', async () => {
    const n = '180057512345627';
    for (const offset of [-30, -20, 0]) await loadMonth(null, day(offset).slice(0, 7), [job(n, '02', 100)]);
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, n);
      await env.sleep('1 minute');
      for (const p of ['VALIDATION', 'ENTREE', 'SORTIE']) {
        expect(await situation(handle, p)).toMatchObject({
          statut: 'EMPLOI',
          meilleurEmploi: { categorie: 'CDD' },
        });
      }
      const m3 = monthsAfter(day(0), 3);
      await loadMonth(null, m3, [job(n, '01', 151.67), job(n, '03', 20, '23840001500018')]);
      expect(await situation(handle, 'M3')).toMatchObject({ mois: m3, statut: 'EN_ATTENTE' });
      await env.sleep('95 days');
      expect(await situation(handle, 'M3')).toMatchObject({
        statut: 'EMPLOI',
        multiEmploi: true,
        meilleurEmploi: { categorie: 'CDI', emploiDurable: true },
      });
      // M6 falls due before its month is loaded: it waits, then the load's signal wakes it.
      await env.sleep('100 days');
      expect(await situation(handle, 'M6')).toMatchObject({ statut: 'EN_ATTENTE' });
      await loadMonth(handle, monthsAfter(day(0), 6), []);
      await env.sleep('1 minute');
      expect(await situation(handle, 'M6')).toMatchObject({ statut: 'SANS_EMPLOI', multiEmploi: false });
      await send(handle, { eventId: 'c', type: 'CLOTURE', date: day(190) });
      await loadMonth(handle, monthsAfter(day(0), 12), [job(n, '02', 35)]);
      await env.sleep('200 days');
      expect(await situation(handle, 'M12')).toMatchObject({
        statut: 'EMPLOI',
        meilleurEmploi: { categorie: 'CDD' },
      });
      // Closed, every point final: the workflow has ended.
      await handle.result();
    });
  }, 120_000);

  it('turns the certification INCONNUE 12 months after exit without a result, by its own timer', async () => {
    const n = '180057512345627';
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, n, true);
      const certification = async () => (await handle.query(stateQuery)).certification;
      expect(await certification()).toMatchObject({ code: 'RNCP37674', statut: 'EN_ATTENTE' });
      await env.sleep('360 days');
      expect(await certification()).toMatchObject({ statut: 'EN_ATTENTE' });
      await env.sleep('10 days');
      expect(await certification()).toEqual({
        code: 'RNCP37674',
        statut: 'INCONNUE',
        blocs: [],
        dateObtention: null,
      });
      // A new version, written to the record by the workflow itself (nothing else woke it).
      const state = await handle.query(stateQuery);
      const written = projected.filter((s) => s.dossierId === state.dossierId).at(-1);
      expect(written?.certification?.statut).toBe('INCONNUE');
      expect(written?.version).toBe(state.version);
    });
  }, 120_000);

  it('sets its 3-month timer on the exit that the caller projects (nothing else wakes it)', async () => {
    const n = '180057512345627';
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, n, true);
      await loadMonth(null, monthsAfter(day(0), 3), [job(n, '01', 151.67)]);
      await env.sleep('1 minute');
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
      expect(lookups).toEqual([]);
      await env.sleep('95 days');
      expect(await situation(handle, 'M3')).toMatchObject({
        statut: 'EMPLOI',
        meilleurEmploi: { categorie: 'CDI' },
      });
    });
  });

  it('moves the pending points when the exit date is corrected after exit', async () => {
    const fullNir = nir('279072B001234');
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, fullNir);
      expect((await situation(handle, 'M3')).mois).toBe(monthsAfter(day(0), 3));
      await send(handle, {
        eventId: 'r',
        type: 'RECTIFICATION',
        date: day(0),
        changes: { dates: { sortie: day(-5) } },
      });
      expect((await situation(handle, 'M3')).mois).toBe(monthsAfter(day(-5), 3));
      expect((await situation(handle, 'SORTIE')).mois).toBe(day(-5).slice(0, 7));
    });
  });

  it('makes a month still missing 24 months after exit NON_DISPONIBLE', async () => {
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, nir('2991213123456'));
      await env.sleep('740 days');
      await env.sleep('8 days');
      const s = await situation(handle, 'M12');
      expect(s.statut).toBe('NON_DISPONIBLE');
    });
  }, 120_000);

  it('ends a dossier loaded from an archive: every point NON_DISPONIBLE or its DSN situation', async () => {
    const n = '180057512345627';
    await withWorker(async (tq) => {
      const body = createBody({ date: day(-1300) });
      body.stagiaire.nir = n;
      const handle = await env.client.workflow.start('dossierWorkflow', {
        taskQueue: tq,
        workflowId: dossierWorkflowId(body.dossierId),
        args: [
          {
            create: {
              body,
              bodyHash: bodyHash(body),
              actor: financeur,
              receivedAt: new Date().toISOString(),
            },
            callerProjects: true,
            vouchKey: VOUCH_KEY,
          },
        ],
      });
      // Only the exit month is loaded; the caller finds the validation month missing.
      await loadMonth(null, day(-1100).slice(0, 7), [job(n, '01', 151.67)]);
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: day(-1295) }, true, [
        day(-1295).slice(0, 7),
      ]);
      await send(handle, { eventId: 'e', type: 'ENTREE', date: day(-1285) }, true);
      await send(handle, { eventId: 's', type: 'SORTIE', date: day(-1100), motif: 'FIN_FORMATION' }, true);
      await send(handle, { eventId: 'c', type: 'CLOTURE', date: day(-1090) }, true);
      await handle.result();
      const state = await handle.query(stateQuery);
      expect(state.situations.map((s) => [s.point, s.statut])).toEqual([
        ['VALIDATION', 'NON_DISPONIBLE'],
        ['ENTREE', 'NON_DISPONIBLE'],
        ['SORTIE', 'EMPLOI'],
        ['M3', 'NON_DISPONIBLE'],
        ['M6', 'NON_DISPONIBLE'],
        ['M12', 'NON_DISPONIBLE'],
      ]);
      // Before it ended, the workflow wrote its last state and every entry to the record.
      expect(projected.filter((p) => p.dossierId === body.dossierId).at(-1)?.version).toBe(state.version);
      expect(ledgerOf(body.dossierId).map((e) => e.type)).toEqual([
        'CREATION',
        'VALIDATION',
        'ENTREE',
        'SORTIE',
        'CLOTURE',
      ]);
    });
  });

  it('ends a cancelled dossier at once, SANS_OBJET on the points it never reached', async () => {
    await withWorker(async (tq) => {
      const { handle } = await start(tq, { callerProjects: true });
      await send(handle, { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' }, true, ['2026-01']);
      const r = await send(handle, { eventId: 'a', type: 'ANNULATION', date: '2026-01-25' }, true);
      expect(r.state.situations.map((s) => s.statut)).toEqual([
        'EN_ATTENTE',
        'SANS_OBJET',
        'SANS_OBJET',
        'SANS_OBJET',
        'SANS_OBJET',
        'SANS_OBJET',
      ]);
      // The validation month is loaded later: its point is final, and the workflow ends.
      await loadMonth(handle, '2026-01', []);
      await handle.result();
      expect((await handle.query(stateQuery)).situations[0]!.statut).toBe('SANS_EMPLOI');
    });
  });

  it('refreshes a point when its month is loaded again', async () => {
    const n = '180057512345627';
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, n);
      await loadMonth(handle, day(0).slice(0, 7), [job(n, '02', 100)]);
      await env.sleep('1 minute');
      expect(await situation(handle, 'SORTIE')).toMatchObject({ meilleurEmploi: { categorie: 'CDD' } });
      await loadMonth(handle, day(0).slice(0, 7), [job(n, '01', 100)]);
      await env.sleep('1 minute');
      expect(await situation(handle, 'SORTIE')).toMatchObject({ meilleurEmploi: { categorie: 'CDI' } });
    });
  });

  it('keeps its timers across a restart of the worker', async () => {
    const n = '180057512345627';
    let workflowId = '';
    await withWorker(async (tq) => {
      const handle = await exitedDossier(tq, n);
      workflowId = handle.workflowId;
      await loadMonth(null, monthsAfter(day(0), 3), [job(n, '10', 120)]);
      // The worker stops here with the M3 timer pending.
      return tq;
    }).then(async (tq) => {
      // A new worker, as after a restart: the timer set by the first one fires for it.
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: tq,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        activities: fakeActivities(),
        maxCachedWorkflows: 0,
      });
      await worker.runUntil(async () => {
        expect((await situation(env.client.workflow.getHandle(workflowId), 'M3')).statut).toBe('EN_ATTENTE');
        await env.sleep('95 days');
        expect(await situation(env.client.workflow.getHandle(workflowId), 'M3')).toMatchObject({
          statut: 'EMPLOI',
          meilleurEmploi: { categorie: 'CDD' },
        });
      });
    });
  });
});

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { CepLedgerEntry } from '../../domain/cep-aggregate';
import type { CepEvent } from '../../domain/cep-schemas';
import type { CepState } from '../../domain/cep-state';
import { addDays, addMonths } from '../../domain/dates';
import { vouch } from '../../domain/vouch';
import { bodyHash } from '../../infra/canonical-hash';
import { vouchKey } from '../../infra/pseudonym';
import {
  cepEventUpdate,
  cepFormationSignal,
  cepStateQuery,
  cepWorkflowId,
} from '../../workflows/cep-messages';
import { dsnMonthLoadedSignal } from '../../workflows/dossier-messages';
import type { ContractLine } from '../../domain/best-job';
import type { FormationEntry } from '../../domain/cep-follow-up';
import { suiviView } from '../../domain/cep-view';
import { monthOf } from '../../domain/dates';
import { TEST_DATA_KEY } from '../helpers/stack';
import { CEP_OPERATOR, openPeriodBody } from '../helpers/fixtures';

/** A CEP period's workflow on the time-skipping server: its operator's events and six silent months. */
const operator = CEP_OPERATOR;
const VOUCH_KEY = vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY });
let env: TestWorkflowEnvironment;
/** What the fake record activity was given: periodeId -> the states written, and the ledger. */
const written = new Map<string, CepState[]>();
const ledger = new Map<string, Map<number, CepLedgerEntry>>();
/** The fake DSN: the months loaded, with the person's lines; and the person's training entries. */
const dsn = new Map<string, ContractLine[]>();
let entries: FormationEntry[] = [];
const lookups: string[][] = [];

beforeEach(async () => {
  written.clear();
  ledger.clear();
  dsn.clear();
  entries = [];
  lookups.length = 0;
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
});
afterEach(async () => {
  await env?.teardown();
});

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `cep-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      async projectCep({ state, entries }: { state: CepState; entries: CepLedgerEntry[] }) {
        written.set(state.periodeId, [...(written.get(state.periodeId) ?? []), state]);
        const rows = ledger.get(state.periodeId) ?? new Map<number, CepLedgerEntry>();
        for (const e of entries) if (!rows.has(e.seq)) rows.set(e.seq, e);
        ledger.set(state.periodeId, rows);
      },
      async followCep({ months }: { months: string[] }) {
        lookups.push(months);
        const found = Object.fromEntries(
          months.map((m) => [m, dsn.has(m) ? { version: 1, lines: dsn.get(m)! } : null]),
        );
        return { months: found, entries };
      },
    },
    maxCachedWorkflows: 0,
  });
  return worker.runUntil(fn(taskQueue));
}

/** The server's day: time skips there, not in this process. */
const today = async () => new Date(await env.currentTimeMs()).toISOString().slice(0, 10);

async function open(taskQueue: string) {
  const body = openPeriodBody({
    eventId: `open-${randomUUID()}`,
    periodeId: `ML-${randomUUID().slice(0, 8)}`,
    date: await today(),
  });
  const handle = await env.client.workflow.start('cepWorkflow', {
    taskQueue,
    workflowId: cepWorkflowId(body.periodeId),
    args: [
      {
        open: { body, bodyHash: bodyHash(body), actor: operator, receivedAt: new Date().toISOString() },
        vouchKey: VOUCH_KEY,
      },
    ],
  });
  return { handle, body };
}

/** As the API sends it: vouched, the body hashed without its eventId (a fact told again hashes the same). */
function send(handle: WorkflowHandle, event: CepEvent, key: string = VOUCH_KEY) {
  const message = { event, bodyHash: bodyHash(event), actor: operator, receivedAt: new Date().toISOString() };
  return handle.executeUpdate(cepEventUpdate, {
    args: [{ ...message, vouch: vouch(key, handle.workflowId, message) }],
    updateId: event.eventId,
  });
}

const ledgerOf = (periodeId: string) =>
  [...(ledger.get(periodeId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);

describe('cepWorkflow (time-skipping server)', () => {
  it('applies its operator events, refuses what the API did not vouch for, and writes its record', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await open(tq);
      const service: CepEvent = {
        eventId: 's-1',
        type: 'SERVICE',
        date: await today(),
        service: 'ATELIER',
        modalite: 'DISTANCE',
      };
      const r = await send(handle, service);
      expect(r.outcome).toBe('applied');
      expect(r.state.services.ATELIER).toBe(1);
      expect(r.entries.map((e) => [e.seq, e.type])).toEqual([[2, 'SERVICE']]);
      // The same Update id again: Temporal answers the first result, and nothing changes.
      expect((await send(handle, service)).state.version).toBe(2);
      expect((await handle.query(cepStateQuery)).services.ATELIER).toBe(1);

      const forged = await send(handle, { ...service, eventId: 's-2' }, 'ab'.repeat(32)).catch((e) => e);
      expect(forged).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((forged as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('FORBIDDEN');
      expect(((forged as WorkflowUpdateFailedError).cause as ApplicationFailure).message).toContain(
        'writes to a period',
      );

      // The same correction told twice: applied, then a confirmation whose entry is written too.
      const fix: CepEvent = {
        eventId: 'r-1',
        type: 'RECTIFICATION',
        date: await today(),
        changes: { situation: 'ACTIF_OCCUPE' },
      };
      expect((await send(handle, fix)).outcome).toBe('applied');
      expect((await send(handle, { ...fix, eventId: 'r-2' })).outcome).toBe('confirmation');

      await env.sleep('5 seconds');
      expect(written.get(body.periodeId)?.at(-1)?.version).toBe(3);
      expect(ledgerOf(body.periodeId).map((e) => [e.seq, e.type, e.confirmation ?? false])).toEqual([
        [1, 'CREATION', false],
        [2, 'SERVICE', false],
        [3, 'RECTIFICATION', false],
        [4, 'RECTIFICATION', true],
      ]);
      expect((await handle.query(cepStateQuery)).statut).toBe('OUVERTE');
    });
  });

  it('closes by itself six months after its latest event, motif SANS_NOUVELLES', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await open(tq);
      // News after a month pushes the closure back.
      await env.sleep('30 days');
      const news = await today();
      await send(handle, { eventId: 'a-1', type: 'ACCOMPAGNEMENT', date: news, objectif: 'RECONVERSION' });
      await env.sleep('160 days');
      expect((await handle.query(cepStateQuery)).statut).toBe('ACCOMPAGNEMENT');
      await env.sleep('40 days');
      const closed = await handle.query(cepStateQuery);
      expect(closed).toMatchObject({ statut: 'CLOSE', motifCloture: 'SANS_NOUVELLES', niveau: 2 });
      expect(closed.dates.cloture).toBe(addMonths(news, 6));
      expect(closed.dates.cloture! > addDays(body.date, 190)).toBe(true);
      // Its follow-up starts on that day: the closure's month was looked up.
      expect(closed.suivi[0]).toMatchObject({ point: 'FERMETURE', mois: monthOf(closed.dates.cloture!) });
      await env.sleep('5 seconds');
      expect(written.get(body.periodeId)!.at(-1)!.statut).toBe('CLOSE');
    });
  });

  it('lives eighteen months: five of guidance, then twelve of follow-up with DSN months as they load and entries into training', async () => {
    await withWorker(async (tq) => {
      const { handle, body } = await open(tq);
      // Five months of guidance, news every ten weeks: no closure by itself.
      for (const n of [1, 2]) {
        await env.sleep('70 days');
        const on = await today();
        await send(handle, {
          eventId: `s-${n}`,
          type: 'SERVICE',
          date: on,
          service: 'ENTRETIEN',
          modalite: 'DISTANCE',
        });
      }
      await env.sleep('10 days');
      expect((await handle.query(cepStateQuery)).statut).toBe('OUVERTE');
      const closedOn = await today();
      const job: ContractLine = {
        siret: '12345678200010',
        naf: '6201Z',
        natureContrat: '01',
        dateDebutContrat: closedOn,
        dateFinContrat: null,
        heures: 151.67,
      };
      // The M6 month is loaded before it is due (no job then); the others come late.
      dsn.set(monthOf(addMonths(closedOn, 6)), []);
      await send(handle, { eventId: 'c-1', type: 'CLOTURE', date: closedOn, motif: 'ENTREE_FORMATION' });
      await env.sleep('2 seconds');
      let state = await handle.query(cepStateQuery);
      expect(state.suivi.map((s) => [s.point, s.statut])).toEqual([
        ['FERMETURE', 'EN_ATTENTE'],
        ['M6', 'EN_ATTENTE'],
        ['M12', 'EN_ATTENTE'],
      ]);
      expect(lookups).toEqual([[monthOf(closedOn)]]);

      // The closure's month is loaded a month later: its signal wakes the period.
      await env.sleep('30 days');
      dsn.set(monthOf(closedOn), [job]);
      await handle.signal(dsnMonthLoadedSignal, { mois: monthOf(closedOn), version: 1 });
      await env.sleep('2 seconds');
      state = await handle.query(cepStateQuery);
      expect(state.suivi[0]).toMatchObject({ statut: 'EMPLOI', meilleurEmploi: { categorie: 'CDI' } });

      // The person enters a training two months after closure: the dossier's entry wakes the period.
      entries = [{ dossierId: 'D-1', entree: addMonths(closedOn, 2), visible: false }];
      await handle.signal(cepFormationSignal);
      await env.sleep('2 seconds');
      expect((await handle.query(cepStateQuery)).entreesFormation).toEqual(entries);

      // M6 falls due: its month was loaded, no job. M12 falls due before its month is loaded.
      await env.sleep('160 days');
      state = await handle.query(cepStateQuery);
      expect(state.suivi[1]).toMatchObject({ point: 'M6', statut: 'SANS_EMPLOI' });
      await env.sleep('190 days');
      state = await handle.query(cepStateQuery);
      expect(state.suivi[2]).toMatchObject({ point: 'M12', statut: 'EN_ATTENTE' });

      // The M12 month comes 40 days late: the last point is final and the follow-up ends.
      await env.sleep('40 days');
      dsn.set(monthOf(addMonths(closedOn, 12)), [job]);
      await handle.signal(dsnMonthLoadedSignal, { mois: monthOf(addMonths(closedOn, 12)), version: 1 });
      await env.sleep('2 seconds');
      expect((await handle.query(cepStateQuery)).suivi[2]!.statut).toBe('EMPLOI');
      // It still takes late news for a month, then ends.
      await env.sleep('31 days');
      await handle.result();
      const last = written.get(body.periodeId)!.at(-1)!;
      expect(last.suivi.map((s) => s.statut)).toEqual(['EMPLOI', 'SANS_EMPLOI', 'EMPLOI']);
      expect(suiviView(last).map((p) => [p.point, p.date, p.formation, p.dossierId])).toEqual([
        ['FERMETURE', closedOn, false, undefined],
        ['M6', addMonths(closedOn, 6), true, undefined],
        ['M12', addMonths(closedOn, 12), true, undefined],
      ]);
    });
  });
});

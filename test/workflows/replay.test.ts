import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../infra/temporal';
import { ROOT } from '../../infra/paths';
import { CEP_OPERATOR, createBody, openPeriodBody } from '../helpers/fixtures';
import { ADMIN_TOKEN, startStack, TEST_DATA_KEY } from '../helpers/stack';
import { temporalJson } from '../helpers/temporal-cli';
import type { CepEvent } from '../../domain/cep-schemas';
import { vouch } from '../../domain/vouch';
import { addDays } from '../../domain/dates';
import { bodyHash } from '../../infra/canonical-hash';
import { vouchKey } from '../../infra/pseudonym';
import { cepEventUpdate, cepFormationSignal, cepWorkflowId } from '../../workflows/cep-messages';
import { dsnMonthLoadedSignal } from '../../workflows/dossier-messages';
import { webhookWorkflowId } from '../../workflows/webhook-messages';
import { webhookReceiver } from '../helpers/webhook-receiver';

/**
 * Upgrades: the committed histories of representative dossiers must replay against the current
 * workflow code. A change that breaks this goes behind patched() (CONVENTIONS.md).
 * `RECORD_HISTORIES=1 RECORD_PREFIX=name- npx vitest run test/workflows/replay.test.ts` records
 * new ones under that prefix; a recorded file is never overwritten (it stands for the code of its day).
 */
const DIR = join(ROOT, 'test/fixtures/histories');
const converter = dataConverter({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined });

describe('replay of recorded histories (dossiers, CEP periods)', () => {
  it.skipIf(process.env.RECORD_HISTORIES !== '1')('records representative histories', async () => {
    const stack = await startStack();
    try {
      const region = await stack.partner('REGION', '84');
      const of = await stack.partner('ORGANISME_FORMATION');
      const asp = await stack.partner('REMUNERATEUR');
      const certifier = await stack.partner('CERTIFICATEUR');
      const scenario = async (
        name: string,
        events: [string, Record<string, unknown>][],
        more: Partial<ReturnType<typeof createBody>> = {},
      ) => {
        const body = createBody({
          organisme: { siret: of.siret, raisonSociale: 'OF' },
          financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
          ...more,
        });
        expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
        for (const [token, e] of events) {
          // A certification result goes to the certifiers' route, naming its dossier.
          const res =
            e.type === 'RESULTAT'
              ? await stack.call('POST', '/v1/certifications/resultats', token, {
                  ...e.resultat!,
                  titulaire: { dossierId: body.dossierId },
                })
              : await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, token, {
                  eventId: randomUUID(),
                  ...e,
                });
          expect(res.status).toBeLessThan(300);
        }
        await new Promise((r) => setTimeout(r, 2000));
        // Exported as an operator would: `temporal workflow show --output json`.
        const file = join(DIR, `${process.env.RECORD_PREFIX ?? ''}${name}.json`);
        if (existsSync(file)) throw new Error(`${file} exists: choose another RECORD_PREFIX`);
        writeFileSync(file, temporalJson('show', `dossier-${body.dossierId}`));
      };
      const R = region.token;
      const O = of.token;
      await scenario('lifecycle-exited', [
        [R, { type: 'VALIDATION', date: '2026-01-20' }],
        [O, { type: 'ENTREE', date: '2026-02-01' }],
        [O, { type: 'INTERRUPTION', date: '2026-03-01' }],
        [O, { type: 'REPRISE', date: '2026-03-10' }],
        [O, { type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' }],
        [R, { type: 'ENTREE', date: '2026-02-01' }],
        [O, { type: 'RECTIFICATION', date: '2026-10-01', changes: { dates: { sortie: '2026-09-29' } } }],
        [R, { type: 'CLOTURE', date: '2026-10-02' }],
      ]);
      await scenario('cancelled', [[R, { type: 'ANNULATION', date: '2026-01-16' }]]);
      const P = asp.token;
      await scenario(
        'paid-certified',
        [
          [R, { type: 'VALIDATION', date: '2026-01-20' }],
          [P, { type: 'REMUNERATION_DEBUT', date: '2026-01-25', regime: 'AREF', montantMensuel: 1100 }],
          [O, { type: 'ENTREE', date: '2026-02-01' }],
          [P, { type: 'REMUNERATION_PAIEMENT', date: '2026-03-05', mois: '2026-02', montant: 1100 }],
          [O, { type: 'INTERRUPTION', date: '2026-03-10' }],
          [O, { type: 'REPRISE', date: '2026-03-20' }],
          [P, { type: 'REMUNERATION_FIN', date: '2026-05-31', motif: 'FIN_DROITS' }],
          [P, { type: 'REMUNERATION_DEBUT', date: '2026-06-01', regime: 'RFF', montantMensuel: 700 }],
          [O, { type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' }],
          [
            certifier.token,
            {
              type: 'RESULTAT',
              resultat: {
                resultatId: randomUUID(),
                certification: 'RNCP37674',
                obtention: 'PARTIELLE',
                blocs: ['RNCP37674BC01'],
                dateObtention: '2026-10-05',
                modaliteAcces: 'FORMATION_CONTINUE',
              },
            },
          ],
          [R, { type: 'CLOTURE', date: '2026-10-10' }],
        ],
        { remunerateurSiret: asp.siret },
      );
      // A run started by continue-as-new (its input carries the dossier): corrections of twenty
      // financing lines fill a run's history quickly.
      const cofinanceurs = await Promise.all(Array.from({ length: 19 }, () => stack.partner('OPCO')));
      const big = createBody({
        organisme: { siret: of.siret, raisonSociale: 'OF' },
        financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
      });
      expect((await stack.call('POST', '/v1/dossiers', R, big)).status).toBe(201);
      const handle = stack.client.workflow.getHandle(`dossier-${big.dossierId}`);
      const firstRun = (await handle.describe()).runId;
      for (let k = 0; (await handle.describe()).runId === firstRun; k++) {
        const changes = {
          financements: [
            { financeurSiret: region.siret, montantEngage: 100 + k },
            ...cofinanceurs.map((p, j) => ({ financeurSiret: p.siret, montantEngage: 1000 + j })),
          ],
        };
        const res = await stack.call('POST', `/v1/dossiers/${big.dossierId}/events`, R, {
          eventId: randomUUID(),
          type: 'RECTIFICATION',
          date: '2026-01-16',
          changes,
        });
        expect(res.status).toBe(200);
      }
      await stack.call('POST', `/v1/dossiers/${big.dossierId}/events`, R, {
        eventId: randomUUID(),
        type: 'VALIDATION',
        date: '2026-01-20',
      });
      await new Promise((r) => setTimeout(r, 2000));
      const continued = join(DIR, `${process.env.RECORD_PREFIX ?? ''}continued-as-new.json`);
      if (existsSync(continued)) throw new Error(`${continued} exists: choose another RECORD_PREFIX`);
      writeFileSync(continued, temporalJson('show', `dossier-${big.dossierId}`));
      // Woken by its month's load: the look-up and the projection of the situation found.
      const mois = `20${10 + (Date.now() % 10)}-0${1 + (Date.now() % 9)}`;
      const woken = createBody({
        date: `${mois}-05`,
        organisme: { siret: of.siret, raisonSociale: 'OF' },
        financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
      });
      expect((await stack.call('POST', '/v1/dossiers', R, woken)).status).toBe(201);
      const validated = await stack.call('POST', `/v1/dossiers/${woken.dossierId}/events`, R, {
        eventId: randomUUID(),
        type: 'VALIDATION',
        date: `${mois}-10`,
      });
      expect(validated.status).toBe(200);
      const load = await stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
        body: `nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n${woken.stagiaire.nir},73282932000074,6201Z,01,2010-01-01,,151.67\n`,
      });
      expect(load.status).toBe(200);
      for (let i = 0; i < 100; i++) {
        const d = await stack.call('GET', `/v1/dossiers/${woken.dossierId}`, R);
        if (d.body.situations[0].statut !== 'EN_ATTENTE') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 2000));
      const file = join(DIR, `${process.env.RECORD_PREFIX ?? ''}month-woken.json`);
      if (existsSync(file)) throw new Error(`${file} exists: choose another RECORD_PREFIX`);
      writeFileSync(file, temporalJson('show', `dossier-${woken.dossierId}`));
    } finally {
      await stack.stop();
    }
  });

  it.skipIf(process.env.RECORD_HISTORIES !== '1')(
    "records a dossier's history from a partner file",
    async () => {
      const stack = await startStack();
      try {
        const region = await stack.partner('REGION', '84');
        const body = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 100 }] });
        const event = (type: string, date: string, extra: object = {}) =>
          JSON.stringify({
            op: 'EVENT',
            dossierId: body.dossierId,
            eventId: randomUUID(),
            type,
            date,
            ...extra,
          });
        // Its consecutive events in one Update, a refused one (a resumption while not interrupted) among them.
        const file = [
          JSON.stringify({ op: 'CREATE', ...body }),
          event('VALIDATION', '2026-01-20'),
          event('ENTREE', '2026-02-01'),
          event('REPRISE', '2026-02-10'),
          event('INTERRUPTION', '2026-03-01', { motif: 'maladie' }),
          event('REPRISE', '2026-03-15'),
        ].join('\n');
        const sent = await stack.app.request('/v1/flux', {
          method: 'POST',
          headers: { authorization: `Bearer ${region.token}`, 'content-type': 'application/x-ndjson' },
          body: file,
        });
        expect(sent.status).toBe(202);
        const { fluxId } = (await sent.json()) as { fluxId: string };
        await stack.client.workflow.getHandle(`flux-${fluxId}`).result();
        const answers = await stack.call('GET', `/v1/flux/${fluxId}/resultats`, region.token);
        expect(answers.body.items.map((a: { status: number }) => a.status)).toEqual([
          201, 200, 200, 409, 200, 200,
        ]);
        await new Promise((r) => setTimeout(r, 2000));
        const out = join(DIR, `${process.env.RECORD_PREFIX ?? ''}flux-batched.json`);
        if (existsSync(out)) throw new Error(`${out} exists: choose another RECORD_PREFIX`);
        writeFileSync(out, temporalJson('show', `dossier-${body.dossierId}`));
      } finally {
        await stack.stop();
      }
    },
  );

  it.skipIf(process.env.RECORD_HISTORIES !== '1')("records a CEP period's history", async () => {
    const stack = await startStack();
    try {
      // The period is opened and told as the API does, vouched; its dates are recent, or six
      // months without news would have closed it already.
      const day = (n: number) => addDays(new Date().toISOString().slice(0, 10), n);
      const operator = CEP_OPERATOR;
      const key = vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY });
      const body = openPeriodBody({
        eventId: randomUUID(),
        periodeId: `ML-${randomUUID().slice(0, 8)}`,
        date: day(-60),
        beneficiaire: { ...openPeriodBody().beneficiaire, nir: createBody().stagiaire.nir },
      });
      const id = cepWorkflowId(body.periodeId);
      const handle = await stack.client.workflow.start('cepWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: id,
        args: [
          {
            open: { body, bodyHash: bodyHash(body), actor: operator, receivedAt: new Date().toISOString() },
            vouchKey: key,
          },
        ],
      });
      const events: CepEvent[] = [
        {
          eventId: randomUUID(),
          type: 'SERVICE',
          date: day(-50),
          service: 'ENTRETIEN',
          modalite: 'PRESENTIEL',
        },
        { eventId: randomUUID(), type: 'ACCOMPAGNEMENT', date: day(-40), objectif: 'RECONVERSION' },
        {
          eventId: randomUUID(),
          type: 'PRESCRIPTION',
          date: day(-30),
          prescriptionId: 'P-1',
          intitule: 'CAP cuisine',
        },
        { eventId: randomUUID(), type: 'CLOTURE', date: day(0), motif: 'ENTREE_FORMATION' },
      ];
      for (const event of events) {
        const message = {
          event,
          bodyHash: bodyHash(event),
          actor: operator,
          receivedAt: new Date().toISOString(),
        };
        await handle.executeUpdate(cepEventUpdate, {
          args: [{ ...message, vouch: vouch(key, id, message) }],
          updateId: event.eventId,
        });
      }
      // Closed, it follows the person: its closure month looked up (not loaded), then woken by a
      // dossier's entry and by a month's load.
      const settle = () => new Promise((r) => setTimeout(r, 1500));
      await settle();
      await handle.signal(cepFormationSignal);
      await settle();
      await handle.signal(dsnMonthLoadedSignal, { mois: day(0).slice(0, 7), version: 1 });
      await settle();
      const file = join(DIR, `${process.env.RECORD_PREFIX ?? ''}cep-follow-up.json`);
      if (existsSync(file)) throw new Error(`${file} exists: choose another RECORD_PREFIX`);
      writeFileSync(file, temporalJson('show', id));
      await handle.terminate('recorded');
    } finally {
      await stack.stop();
    }
  });

  it.skipIf(process.env.RECORD_HISTORIES !== '1')("records a webhook's history", async () => {
    const stack = await startStack();
    // Refused twice, then acknowledged; turned off and on again.
    const receiver = await webhookReceiver((n) => (n <= 2 ? 503 : 200));
    try {
      const fin = await stack.partner('AGEFIPH');
      const { id } = (await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url })).body;
      const body = createBody({ financements: [{ financeurSiret: fin.siret, montantEngage: 100 }] });
      expect((await stack.call('POST', '/v1/dossiers', fin.token, body)).status).toBe(201);
      for (let i = 0; i < 100 && receiver.acknowledged().length === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(receiver.acknowledged().length).toBeGreaterThan(0);
      await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, { actif: false });
      await new Promise((r) => setTimeout(r, 4000));
      await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, { actif: true });
      await new Promise((r) => setTimeout(r, 1000));
      const file = join(DIR, `${process.env.RECORD_PREFIX ?? ''}webhook.json`);
      if (existsSync(file)) throw new Error(`${file} exists: choose another RECORD_PREFIX`);
      writeFileSync(file, temporalJson('show', webhookWorkflowId(id)));
      await stack.call('DELETE', `/v1/webhooks/${id}`, fin.token);
    } finally {
      await receiver.close();
      await stack.stop();
    }
  });

  it('replays every committed history with the current workflow code', async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const histories = files.map((f) => ({
      workflowId: f,
      history: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as unknown,
    }));
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: converter },
      histories,
    );
    const failures: string[] = [];
    for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${String(r.error)}`);
    expect(failures).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { importDsnMonth } from '../../db/dsn-import';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { sealer } from '../../infra/sealing';
import { dossierRecordsUsingMonth, linesOfLoad } from '../../db/dsn-lookup';
import type { PendingLoad } from '../../db/dossier-read-model';
import { createProjector } from '../../db/projection-intents';
import { writeAhead } from '../../activities/month-wake';
import type { DossierState } from '../../domain/dossier-state';
import type { ContractLine } from '../../domain/best-job';
import { createBody, nir, siret } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack, TEST_DATA_KEY } from '../helpers/stack';

let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
let cdc: P;
beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  cdc = await stack.partner('CDC');
});
afterAll(async () => stack?.stop());

const HEADER = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
type Line = ContractLine & { nir: string };
const csv = (lines: Line[]) =>
  [
    HEADER,
    ...lines.map((l) =>
      [l.nir, l.siret, l.naf, l.natureContrat, l.dateDebutContrat, l.dateFinContrat ?? '', l.heures].join(
        ',',
      ),
    ),
  ].join('\n');

async function importMonth(token: string, mois: string, body: string, type = 'text/csv') {
  const res = await stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body,
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The rule of CONTRACT.md, computed here independently of domain/best-job.ts. */
function expected(lines: Line[], person: string) {
  const cat = (n: string) =>
    ['01', '07', '08', '09', '82', '91'].includes(n)
      ? 'CDI'
      : ['02', '10', '92'].includes(n)
        ? 'CDD'
        : n === '03'
          ? 'INTERIM'
          : 'AUTRE';
  const rank = { CDI: 0, CDD: 1, INTERIM: 2, AUTRE: 3 } as const;
  const jobs = lines.filter((l) => l.nir === person && !['29', '80', '81', '89'].includes(l.natureContrat));
  if (jobs.length === 0) return { statut: 'SANS_EMPLOI', multiEmploi: false };
  jobs.sort(
    (a, b) =>
      rank[cat(a.natureContrat)] - rank[cat(b.natureContrat)] ||
      b.heures - a.heures ||
      b.dateDebutContrat.localeCompare(a.dateDebutContrat),
  );
  const best = jobs[0]!;
  return {
    statut: 'EMPLOI',
    multiEmploi: new Set(jobs.map((j) => `${j.siret}|${j.dateDebutContrat}`)).size > 1,
    meilleurEmploi: {
      natureContrat: best.natureContrat,
      categorie: cat(best.natureContrat),
      siretEmployeur: best.siret,
      heures: best.heures,
    },
  };
}

/** A month of its own, not loaded (the test database is shared, and kept between local runs). */
async function freeMonth(mm: string) {
  const conn = stack.orm.em.getConnection();
  let year = 2004 + Math.floor(Math.random() * 15);
  while ((await conn.execute('select 1 from dsn_months where mois = ?', [`${year}-${mm}`])).length > 0)
    year++;
  return { year, mois: `${year}-${mm}` };
}

/** A dossier of the person created and validated in that month: its VALIDATION point waits on it. */
async function validatedDossier(person: string, mois: string, nom: string) {
  const body = createBody({
    date: `${mois}-02`,
    stagiaire: { nir: person, nom, prenom: 'Ali', dateNaissance: '1950-01-01' },
    organisme: { siret: of.siret, raisonSociale: 'OF' },
    financements: [{ financeurSiret: region.siret, montantEngage: 1000 }],
  });
  expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
  const validation = await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, region.token, {
    eventId: randomUUID(),
    type: 'VALIDATION',
    date: `${mois}-10`,
  });
  expect(validation.status).toBe(200);
  return body;
}

describe('DSN months over HTTP', () => {
  it('lets only the admin and the CDC load a month, and refuses a bad month or content type', async () => {
    expect((await importMonth(region.token, '2001-01', HEADER)).status).toBe(403);
    expect((await importMonth(cdc.token, '2001-01', HEADER)).status).toBe(200);
    expect((await importMonth(ADMIN_TOKEN, '2001-13', HEADER)).status).toBe(400);
    const early = await importMonth(ADMIN_TOKEN, '1999-12', HEADER);
    expect(early.body.error.details).toEqual([
      { path: 'query.mois', message: 'expected a month YYYY-MM, from 2000-01 on' },
    ]);
    const twice = await importMonth(ADMIN_TOKEN, '2001-04&mois=2001-05', HEADER);
    expect(twice.status).toBe(400);
    expect(twice.body.error.details[0].message).toMatch(/more than once/);
    const wrong = await importMonth(ADMIN_TOKEN, '2001-02', HEADER, 'application/json');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('VALIDATION_ERROR');
    const noHeader = await importMonth(ADMIN_TOKEN, '2001-03', 'nir,siret\n1,2\n');
    expect(noHeader.status).toBe(400);
    expect(noHeader.body.error.message).toMatch(/header lacks naf/);
    const months = await stack.call('GET', '/v1/dsn/months', region.token);
    const loaded = months.body.items.map((m: { mois: string }) => m.mois);
    expect(loaded).toContain('2001-01');
    expect(loaded).not.toContain('1999-12');
    expect(loaded).not.toContain('2001-04');
  });

  it('keeps a month as it was when every line of a new file is refused', async () => {
    const line: Line = {
      nir: nir('1800575123456'),
      siret: siret('7777777700001'),
      naf: '6201Z',
      natureContrat: '01',
      dateDebutContrat: '2001-06-01',
      dateFinContrat: null,
      heures: 151.67,
    };
    expect((await importMonth(ADMIN_TOKEN, '2001-06', csv([line]))).body.lignes).toBe(1);
    const broken = csv([
      { ...line, nir: '180057512345600' },
      { ...line, siret: '123' },
    ]);
    const refused = await importMonth(ADMIN_TOKEN, '2001-06', broken);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/every line of the file was refused \(2\)/);
    expect(refused.body.error.details.map((r: { path: string }) => r.path)).toEqual([
      'body.line.2',
      'body.line.3',
    ]);
    const months = await stack.call('GET', '/v1/dsn/months', region.token);
    expect(months.body.items.find((m: { mois: string }) => m.mois === '2001-06')).toMatchObject({
      lignes: 1,
    });
    // A month without any line (nobody of the file employed) is still a month.
    expect((await importMonth(ADMIN_TOKEN, '2001-07', `${HEADER}\n`)).status).toBe(200);
  });

  it('records the situations of a dossier with past dates, and wakes it when a late month is loaded', async () => {
    const person = nir(`1${String(Date.now()).slice(-12)}`);
    const e1 = siret('7777777700001');
    const e2 = siret('8888888800001');
    const months: Record<string, Line[]> = {
      '2025-01': [
        {
          nir: person,
          siret: e1,
          naf: '6201Z',
          natureContrat: '02',
          dateDebutContrat: '2024-10-01',
          dateFinContrat: '2025-03-31',
          heures: 120,
        },
      ],
      '2025-02': [],
      '2025-05': [
        {
          nir: person,
          siret: e1,
          naf: '6201Z',
          natureContrat: '03',
          dateDebutContrat: '2025-05-02',
          dateFinContrat: null,
          heures: 140,
        },
        {
          nir: person,
          siret: e2,
          naf: '4711D',
          natureContrat: '01',
          dateDebutContrat: '2025-05-15',
          dateFinContrat: null,
          heures: 60,
        },
        {
          nir: person,
          siret: e2,
          naf: '4711D',
          natureContrat: '29',
          dateDebutContrat: '2025-05-15',
          dateFinContrat: null,
          heures: 300,
        },
      ],
    };
    for (const [mois, lines] of Object.entries(months))
      expect((await importMonth(ADMIN_TOKEN, mois, csv(lines))).body.lignes).toBe(lines.length);

    const body = createBody({
      date: '2025-01-10',
      stagiaire: { nir: person, nom: 'Durand', prenom: 'Sam', dateNaissance: '1990-01-01' },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 1000 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    const send = (token: string, e: Record<string, unknown>) =>
      stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, token, { eventId: randomUUID(), ...e });
    await send(region.token, { type: 'VALIDATION', date: '2025-01-20' });
    await send(of.token, { type: 'ENTREE', date: '2025-02-01' });
    await send(of.token, { type: 'SORTIE', date: '2025-05-31', motif: 'FIN_FORMATION' });

    const situations = async (token = region.token) =>
      (await stack.call('GET', `/v1/dossiers/${body.dossierId}`, token)).body.situations as {
        point: string;
        mois: string;
        statut: string;
      }[];
    const waitFor = async (pred: (s: Awaited<ReturnType<typeof situations>>) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const s = await situations();
        if (pred(s)) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
      return situations();
    };
    let s = await waitFor((x) => x.filter((p) => p.statut !== 'EN_ATTENTE').length >= 3);
    expect(s.map((p) => [p.point, p.mois])).toEqual([
      ['VALIDATION', '2025-01'],
      ['ENTREE', '2025-02'],
      ['SORTIE', '2025-05'],
      ['M3', '2025-08'],
      ['M6', '2025-11'],
      ['M12', '2026-05'],
    ]);
    for (const [i, mois] of [
      [0, '2025-01'],
      [1, '2025-02'],
      [2, '2025-05'],
    ] as const) {
      expect(s[i]).toMatchObject(expected(months[mois]!, person));
    }
    expect(s[3]).toMatchObject({ statut: 'EN_ATTENTE' });

    // A month loaded late wakes the waiting dossier, without any other action.
    const m3: Line[] = [
      {
        nir: person,
        siret: e2,
        naf: '4711D',
        natureContrat: '10',
        dateDebutContrat: '2025-06-01',
        dateFinContrat: '2026-05-31',
        heures: 151.67,
      },
    ];
    const handle = stack.client.workflow.getHandle(`dossier-${body.dossierId}`);
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    await importMonth(cdc.token, '2025-08', csv(m3));
    s = await waitFor((x) => x[3]?.statut !== 'EN_ATTENTE');
    // The record had it first (written ahead); the workflow takes the load from its signal.
    for (let i = 0; i < 100; i++) {
      if (
        (await handle.query<{ situations: { statut: string }[] }>('state')).situations[3]?.statut !==
        'EN_ATTENTE'
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Set-based: the wake-up wrote the situation and its signal brought the month's lines; the
    // dossier looked nothing up and wrote nothing.
    const lateEvents = ((await handle.fetchHistory()).events ?? []).slice(before);
    const activityTypes = lateEvents
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) =>
        Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString('utf8'),
      );
    expect(
      lateEvents.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'dsnMonthLoaded'),
    ).toBe(true);
    expect(activityTypes).toEqual([]);
    expect(s[3]).toMatchObject({ ...expected(m3, person), meilleurEmploi: { emploiDurable: true } });
    const [record] = await stack.orm.em
      .getConnection()
      .execute<{ version: number }[]>('select version from dossiers where dossier_id = ?', [body.dossierId]);
    expect((await handle.query<{ version: number }>('state')).version).toBe(record!.version);
    // The look-ups and the projection ran as local activities: markers, no activity task on the server.
    const events =
      (await stack.client.workflow.getHandle(`dossier-${body.dossierId}`).fetchHistory()).events ?? [];
    expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
    expect(
      events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    ).toBeGreaterThanOrEqual(2);

    // The organisme sees the situations but not the employers.
    const forOf = await situations(of.token);
    expect(forOf[3]).toMatchObject({ statut: 'EMPLOI', meilleurEmploi: { categorie: 'CDD' } });
    expect(JSON.stringify(forOf)).not.toContain(e2);
  });

  it('refreshes the points of a dossier whose life is over when a month it used is loaded again', async () => {
    const person = nir(`2${String(Date.now()).slice(-12)}`);
    // Months of their own (months are the platform's, every test's): a year long past that no
    // other test loads (guards: 2001, security: 2003).
    const years = [2000, 2002, 2004, 2005, 2006, 2007, 2008];
    const y = String(years[Math.floor(Math.random() * years.length)]);
    expect((await importMonth(ADMIN_TOKEN, `${y}-01`, csv([]))).status).toBe(200);
    const body = createBody({
      date: `${y}-01-10`,
      stagiaire: { nir: person, nom: 'Roux', prenom: 'Ana', dateNaissance: '1970-01-01' },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 1000 }],
    });
    const createdRes = await stack.call('POST', '/v1/dossiers', region.token, body);
    expect(createdRes.status, JSON.stringify(createdRes.body)).toBe(201);
    const send = async (token: string, e: Record<string, unknown>) =>
      expect(
        (
          await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, token, {
            eventId: randomUUID(),
            ...e,
          })
        ).status,
      ).toBe(200);
    await send(region.token, { type: 'VALIDATION', date: `${y}-01-20` });
    await send(of.token, { type: 'ENTREE', date: `${y}-02-01` });
    await send(of.token, { type: 'SORTIE', date: `${y}-05-31`, motif: 'FIN_FORMATION' });
    await send(region.token, { type: 'CLOTURE', date: `${y}-06-15`, realisation: 'TOTALE' });
    // Closed, every point final (its months missing long past the horizon): the workflow ends.
    await stack.client.workflow
      .getHandle(`dossier-${body.dossierId}`)
      .result()
      .catch(() => undefined);
    const read = async () => (await stack.call('GET', `/v1/dossiers/${body.dossierId}`, region.token)).body;
    const before = await read();
    expect(before.situations[0]).toMatchObject({
      point: 'VALIDATION',
      mois: `${y}-01`,
      statut: 'SANS_EMPLOI',
    });
    // The month loaded again, with a job: the record's point follows, as the platform's own change.
    const job: Line = {
      nir: person,
      siret: siret('7777777700001'),
      naf: '6201Z',
      natureContrat: '01',
      dateDebutContrat: `${Number(y) - 1}-03-01`,
      dateFinContrat: null,
      heures: 151.67,
    };
    expect((await importMonth(ADMIN_TOKEN, `${y}-01`, csv([job]))).status).toBe(200);
    let after = await read();
    for (let i = 0; i < 100 && after.situations[0].statut !== 'EMPLOI'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await read();
    }
    expect(after.situations[0]).toMatchObject({ statut: 'EMPLOI', meilleurEmploi: { categorie: 'CDI' } });
    expect(after.version).toBe(before.version + 1);
    expect(after.situations.slice(1)).toEqual(before.situations.slice(1));
    const feed = (await stack.call('GET', '/v1/changes?limit=1000', of.token)).body.items as {
      id: string;
      version: number;
      type: string;
      source: string;
    }[];
    expect(feed.find((c) => c.id === body.dossierId && c.version === after.version)).toMatchObject({
      type: 'SITUATION',
      source: 'PLATEFORME',
    });
  });

  it('sets no timer for a month not loaded, and the daily re-check wakes a dossier whose load signal was lost', async () => {
    const person = nir(`2${String(Date.now()).slice(-12)}`);
    const conn = stack.orm.em.getConnection();
    const { year, mois } = await freeMonth('03');
    const body = await validatedDossier(person, mois, 'Petit');
    const handle = stack.client.workflow.getHandle(`dossier-${body.dossierId}`);
    // The point waits on the month's load (it is registered for it): no weekly re-check timer.
    await handle.query('state');
    const history = (await handle.fetchHistory()).events ?? [];
    expect(history.some((e) => e.timerStartedEventAttributes)).toBe(false);

    // The month is loaded, but its wake-up never runs (as if its signals were lost), and the load
    // is over an hour old when the daily re-check runs.
    const line: Line = {
      nir: person,
      siret: siret('5555555500001'),
      naf: '6201Z',
      natureContrat: '01',
      dateDebutContrat: `${year}-01-01`,
      dateFinContrat: null,
      heures: 151.67,
    };
    await importDsnMonth({
      databaseUrl: inject('databaseUrl'),
      hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
      mois,
      format: 'csv',
      source: Readable.from([csv([line])]),
    });
    await conn.execute(`update dsn_months set loaded_at = now() - interval '2 hours' where mois = ?`, [mois]);
    const point = async () =>
      (await stack.call('GET', `/v1/dossiers/${body.dossierId}`, region.token)).body.situations[0] as {
        point: string;
        statut: string;
      };
    await new Promise((r) => setTimeout(r, 1000));
    expect(await point()).toMatchObject({ point: 'VALIDATION', statut: 'EN_ATTENTE' });

    const { signalled } = await stack.client.workflow.execute('dsnRecheckWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `dsn-recheck-${randomUUID()}`,
    });
    expect(signalled).toBeGreaterThanOrEqual(1);
    let found = await point();
    for (let i = 0; i < 100 && found.statut === 'EN_ATTENTE'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      found = await point();
    }
    expect(found).toMatchObject({
      point: 'VALIDATION',
      statut: 'EMPLOI',
      meilleurEmploi: { categorie: 'CDI' },
    });
  });

  it("writes a month's situations ahead of the workflows, which take the load as written; an event takes it first, and a state without it is held back", async () => {
    const conn = stack.orm.em.getConnection();
    const { year, mois } = await freeMonth('06');
    const people = [0, 1, 2].map((i) => nir(`${i + 1}${String(Date.now() + i).slice(-12)}`));
    const ids: string[] = [];
    for (const person of people) ids.push((await validatedDossier(person, mois, 'Roux')).dossierId);
    const [d1, d2, d3] = ids as [string, string, string];
    const handle = (id: string) => stack.client.workflow.getHandle(`dossier-${id}`);
    type S = { version: number; situations: { point: string; statut: string }[] };
    const workflowState = (id: string) => handle(id).query<S>('state');
    const row = async (id: string) =>
      (
        await conn.execute<{ version: number; pending_load: { base: number } | null; data: S }[]>(
          'select version, pending_load, data from dossiers where dossier_id = ?',
          [id],
        )
      )[0]!;
    // Every workflow settled on its waiting point (registered for the month).
    for (const id of ids) {
      for (let i = 0; i < 50 && (await row(id)).version !== (await workflowState(id)).version; i++)
        await new Promise((r) => setTimeout(r, 100));
    }
    const before = await workflowState(d3);

    // The month is loaded; its wake-up's first pass writes the records, before any signal.
    await importDsnMonth({
      databaseUrl: inject('databaseUrl'),
      hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
      mois,
      format: 'csv',
      source: Readable.from([
        csv(
          people.map((person) => ({
            nir: person,
            siret: siret('4444444400001'),
            naf: '6201Z',
            natureContrat: '01',
            dateDebutContrat: `${year}-01-01`,
            dateFinContrat: null,
            heures: 151.67,
          })),
        ),
      ]),
    });
    const version = (
      await conn.execute<{ version: number }[]>(
        'select version::int as version from dsn_months where mois = ?',
        [mois],
      )
    )[0]!.version;
    const hashKey = keyFingerprint(nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }));
    const page = await dossierRecordsUsingMonth(stack.orm.em.fork(), { mois, version, hashKey }, '', 50);
    expect(page.map((r) => r.id).sort()).toEqual([...ids].sort());
    const open = sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open;
    expect(await writeAhead(() => stack.orm.em.fork(), page, { mois, version }, open)).toBe(3);
    for (const id of ids) {
      const r = await row(id);
      expect(r.data.situations[0]).toMatchObject({ point: 'VALIDATION', statut: 'EMPLOI' });
      expect(r.pending_load).toMatchObject({ mois, version, base: r.version - 1 });
      // The workflow has not taken it; a read of the dossier is the newer of the two.
      expect((await workflowState(id)).situations[0]!.statut).toBe('EN_ATTENTE');
      const read = await stack.call('GET', `/v1/dossiers/${id}`, region.token);
      expect(read.body.situations[0]).toMatchObject({ statut: 'EMPLOI' });
    }
    // Written once: a second pass finds the load pending and writes nothing.
    expect(await writeAhead(() => stack.orm.em.fork(), page, { mois, version }, open)).toBe(0);

    // An event before the dossier's signal: the API has the workflow take the load first.
    const written = (await row(d1)).version;
    const entree = await stack.call('POST', `/v1/dossiers/${d1}/events`, of.token, {
      eventId: randomUUID(),
      type: 'ENTREE',
      date: `${year}-07-01`,
    });
    expect(entree.status).toBe(200);
    expect(entree.body.version).toBe(written + 1);
    expect(entree.body.situations[0]).toMatchObject({ point: 'VALIDATION', statut: 'EMPLOI' });
    expect(await row(d1)).toMatchObject({ version: written + 1, pending_load: null });

    // A state of the workflow without the load is held back, and its workflow asked to take it.
    const blockedBy: string[] = [];
    const projector = createProjector({
      orm: stack.orm,
      hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
      seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
      onBlocked: async (id, load) => void blockedBy.push(`${id} ${load.mois}`),
    });
    const d3Row = await row(d3);
    const stale = { ...(before as unknown as DossierState), version: d3Row.version + 1 };
    await projector.project({ state: stale });
    expect(blockedBy).toEqual([`${d3} ${mois}`]);
    expect(await row(d3)).toMatchObject({ version: d3Row.version, pending_load: { mois } });

    // A signal whose workflow does not find what was written ahead (here: told another digest)
    // takes the load its own way, and its next version comes after the one written ahead.
    const d3Pending = (await row(d3)).pending_load as unknown as PendingLoad;
    await handle(d3).signal('dsnMonthLoaded', {
      mois,
      version,
      lines: await linesOfLoad(stack.orm.em.fork(), d3, d3Pending, hashKey),
      ahead: { base: d3Pending.base, today: d3Pending.today, at: d3Pending.at, seen: 'another' },
    });
    for (let i = 0; i < 100 && (await row(d3)).version === d3Row.version; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await row(d3)).toMatchObject({ version: d3Pending.base + 2, pending_load: null });
    expect((await workflowState(d3)).version).toBe(d3Pending.base + 2);

    // The wake-up's signals: a workflow still at the version the record was written from takes
    // the load as written, with nothing to write (no local activity).
    const events = (await handle(d2).fetchHistory()).events?.length ?? 0;
    const { signalled } = await stack.client.workflow.execute('dsnMonthWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `dsn-month-${randomUUID()}`,
      args: [{ mois, version }],
    });
    expect(signalled).toBe(3);
    for (const id of [d2, d3]) {
      let taken = await workflowState(id);
      for (let i = 0; i < 100 && taken.situations[0]!.statut === 'EN_ATTENTE'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        taken = await workflowState(id);
      }
      const stored = await row(id);
      expect(taken.version).toBe(stored.version);
      const seen = (x: S) => x.situations.map(({ point, statut }) => `${point} ${statut}`);
      expect(seen(taken)).toEqual(seen(stored.data));
      expect((taken as unknown as DossierState).updatedAt).toBe(
        (stored.data as unknown as DossierState).updatedAt,
      );
    }
    const after = ((await handle(d2).fetchHistory()).events ?? []).slice(events);
    expect(
      after.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'dsnMonthLoaded'),
    ).toBe(true);
    expect(after.filter((e) => e.markerRecordedEventAttributes)).toEqual([]);
  });
});

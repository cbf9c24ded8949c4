import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { ImportFormatError, importDsnMonth, listMonths } from '../../db/dsn-import';
import { lookupMonths } from '../../db/dsn-lookup';
import { openOrm } from '../../db/orm';
import type { MikroORM } from '../../db/orm';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { nir, siret } from '../helpers/fixtures';
import { TEST_DATA_KEY } from '../helpers/stack';

const hashNir = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
let orm: MikroORM;
let db: pg.Client;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
  db = new pg.Client({ connectionString: inject('databaseUrl') });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await orm?.close();
});

// Months far in the past so that no other test file uses them.
let monthCounter = 0;
const freshMonth = () =>
  `19${String(10 + Math.floor(Math.random() * 80))}-${String((monthCounter++ % 12) + 1).padStart(2, '0')}`;
const alice = nir('2850375123456');
const bob = nir('1920169123456');
const employer = siret('5555555500001');

const load = (mois: string, format: 'csv' | 'ndjson', text: string, beforeSwap?: () => Promise<void>) =>
  importDsnMonth({
    databaseUrl: inject('databaseUrl'),
    mois,
    format,
    source: Readable.from([text]),
    hashNir,
    ...(beforeSwap ? { beforeSwap } : {}),
  });

const lookup = async (mois: string, who: string) =>
  (await lookupMonths(orm.em.fork(), `T-${who}`, hashNir(who), [mois], keyFingerprint(hashNir)))[mois];

describe('DSN month import', () => {
  it('loads a CSV, reports each bad line with its number and reason, and loads the good ones', async () => {
    const mois = freshMonth();
    const csv = [
      'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
      `${alice},${employer},6201Z,01,2020-01-01,,151.67`,
      `${alice},${employer},6201Z,02,2021-03-01,2021-12-31,20`,
      `180057512345628,${employer},6201Z,01,2020-01-01,,151.67`,
      `${bob},12345678200011,6201Z,01,2020-01-01,,151.67`,
      `${bob},${employer},62,01,2020-01-01,,151.67`,
      `${bob},${employer},6201Z,01,2020-02-30,,151.67`,
      `${bob},${employer},6201Z,01,2020-01-01,,-3`,
      `${bob},${employer},6201Z,01`,
      `${bob},${employer},6201Z,03,2022-01-01,,"75,5"`,
    ].join('\n');
    const r = await load(mois, 'csv', csv);
    expect(r.lignes).toBe(3);
    expect(r.rejets.map((x) => x.ligne)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(r.rejets[0]!.message).toMatch(/^nir/);
    expect(r.rejets[1]!.message).toMatch(/^siret/);
    expect(r.rejets[2]!.message).toMatch(/^naf/);
    expect(r.rejets[3]!.message).toMatch(/^dateDebutContrat/);
    expect(r.rejets[4]!.message).toMatch(/^heures/);
    expect(r.rejets[5]!.message).toMatch(/fields/);
    expect(JSON.stringify(r)).not.toContain(alice);
    const a = await lookup(mois, alice);
    expect(a?.lines).toHaveLength(2);
    expect(a?.lines.find((l) => l.natureContrat === '02')).toMatchObject({
      dateFinContrat: '2021-12-31',
      heures: 20,
    });
    expect((await lookup(mois, bob))?.lines).toEqual([
      {
        siret: employer,
        naf: '6201Z',
        natureContrat: '03',
        dateDebutContrat: '2022-01-01',
        dateFinContrat: null,
        heures: 75.5,
      },
    ]);
    expect(
      (await listMonths(async (sql) => (await db.query(sql)).rows)).find((m) => m.mois === mois)?.lignes,
    ).toBe(3);
  });

  it('loads NDJSON and never stores the NIR in clear', async () => {
    const mois = freshMonth();
    const ndjson = [
      JSON.stringify({
        nir: alice,
        siret: employer,
        naf: '6201Z',
        natureContrat: '01',
        dateDebutContrat: '2020-01-01',
        dateFinContrat: null,
        heures: 151.67,
      }),
      '{not json',
      '[1,2]',
      JSON.stringify({
        nir: bob,
        siret: employer,
        naf: '6201Z',
        natureContrat: '10',
        dateDebutContrat: '2020-01-01',
        heures: 35,
      }),
    ].join('\n');
    const r = await load(mois, 'ndjson', ndjson);
    expect(r).toMatchObject({ lignes: 2, rejetsTotal: 2 });
    expect(r.rejets.map((x) => x.ligne)).toEqual([2, 3]);
    const { rows } = await db.query(`select * from dsn_lines where mois = $1`, [mois]);
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(alice.slice(0, 13));
  });

  it('stores each value as written, from the plain form of a CSV line and through the rule alike', async () => {
    // Binary COPY (db/dsn-parse.ts): dates as days from 2000, hours as base-10000 digits.
    const cases: [debut: string, fin: string, heures: string, stored: string][] = [
      ['1900-01-01', '', '0', '0.00'],
      ['1999-12-31', '2000-01-01', '0.5', '0.50'],
      ['2000-01-01', '2000-02-29', '0.05', '0.05'],
      ['2024-02-29', '2100-03-01', '10000', '10000.00'],
      ['2023-03-01', '', '9999999', '9999999.00'],
      ['2023-03-01', '', '9999998.99', '9999998.99'],
      ['2020-01-01', '', '12345.67', '12345.67'],
      ['2020-01-01', '', '0000100.1', '100.10'],
      ['2020-01-01', '', '1,25', '1.25'],
      ['2020-01-01', '', '20000', '20000.00'],
      ['2020-01-01', '', '99990001', ''],
    ];
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const people = cases.map((_, i) => nir(`28503751${String(20000 + i)}`));
    // Separated by semicolons: a decimal comma is then the plain form too.
    const plainCsv = cases.map(([d, f, h], i) => `${people[i]};${employer};6201Z;01;${d};${f};${h}`);
    const quoted = cases.map(([d, f, h], i) => `${people[i]},"${employer}",6201Z,01,${d},${f},"${h}"`);
    const ndjson = cases.map(([d, f, h], i) =>
      JSON.stringify({
        nir: people[i],
        siret: employer,
        naf: '6201Z',
        natureContrat: '01',
        dateDebutContrat: d,
        dateFinContrat: f || null,
        heures: h.replace(',', '.'),
      }),
    );
    const expected = cases.flatMap(([d, f, , stored], i) =>
      stored ? [[hashNir(people[i]!).toString('hex'), employer, d, f || null, stored]] : [],
    );
    for (const [format, text] of [
      ['csv', [header.replace(/,/g, ';'), ...plainCsv].join('\n')],
      ['csv', [header, ...quoted].join('\n')],
      ['ndjson', ndjson.join('\n')],
    ] as const) {
      const mois = freshMonth();
      const r = await load(mois, format, text);
      expect(
        r.rejets.map((x) => x.ligne),
        `${format} ${text.slice(0, 200)}`,
      ).toEqual([format === 'csv' ? cases.length + 1 : cases.length]);
      const { rows } = await db.query(
        `select encode(nir_hash, 'hex') as h, siret, date_debut::text as d, date_fin::text as f, heures::text as heures
           from dsn_lines where mois = $1 order by heures`,
        [mois],
      );
      expect(rows.map((x: Record<string, string | null>) => [x.h, x.siret, x.d, x.f, x.heures])).toEqual(
        [...expected].sort((a, b) => Number(a[4]) - Number(b[4])),
      );
    }
  });

  it('replaces a month loaded again, whole', async () => {
    const mois = freshMonth();
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const first = await load(mois, 'csv', `${header}\n${alice},${employer},6201Z,01,2020-01-01,,151.67\n`);
    const second = await load(mois, 'csv', `${header}\n${bob},${employer},6201Z,02,2020-01-01,,10\n`);
    expect(second.version).toBeGreaterThan(first.version);
    expect(await lookup(mois, alice)).toEqual({ version: second.version, lines: [] });
    expect((await lookup(mois, bob))?.lines).toHaveLength(1);
  });

  it('keeps the previous data of a month when an import dies before its swap, and cleans up after it', async () => {
    const mois = freshMonth();
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const first = await load(mois, 'csv', `${header}\n${alice},${employer},6201Z,01,2020-01-01,,151.67\n`);
    await expect(
      load(mois, 'csv', `${header}\n${bob},${employer},6201Z,02,2020-01-01,,10\n`, async () => {
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await lookup(mois, alice)).toMatchObject({ version: first.version });
    expect((await lookup(mois, bob))?.lines).toEqual([]);
    // A process killed outright leaves its table behind: the next import of the month drops it.
    const stray = `dsn_lines_${mois.replace('-', '_')}_v999999`;
    await db.query(`create table ${stray} (like dsn_lines)`);
    await load(mois, 'csv', `${header}\n${bob},${employer},6201Z,02,2020-01-01,,10\n`);
    const { rows } = await db.query(`select to_regclass($1) as t`, [stray]);
    expect(rows[0].t).toBeNull();
    expect((await lookup(mois, bob))?.lines).toHaveLength(1);
  });

  it('refuses a CSV without its header or without a required column', async () => {
    await expect(load(freshMonth(), 'csv', '')).rejects.toBeInstanceOf(ImportFormatError);
    await expect(load(freshMonth(), 'csv', 'nir,siret\n1,2\n')).rejects.toThrow(/lacks naf/);
  });

  it('gives the same month over threads as in one thread: lines, refusals in order, people', async () => {
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const people = Array.from({ length: 50 }, (_, i) => nir(`19201691${String(10000 + i)}`));
    // Blank lines here and there (numbered, not loaded), the file's pieces cut wherever they fall.
    const rows = Array.from({ length: 7000 }, (_, i) =>
      i % 997 === 5
        ? `${people[i % 50]},${employer},6201Z,01,2020-02-30,,151.67`
        : i % 1500 === 7
          ? ''
          : `${people[i % 50]},${employer},6201Z,0${(i % 3) + 1},2020-01-01,,${(i % 200) + 1}`,
    );
    const text = [header, ...rows].join('\r\n');
    const run = (mois: string, threads: number) =>
      importDsnMonth({
        databaseUrl: inject('databaseUrl'),
        mois,
        format: 'csv',
        source: Readable.from([text]),
        hashNir,
        threads,
      });
    const [a, b] = [freshMonth(), freshMonth()];
    const one = await run(a, 0);
    const many = await run(b, 2);
    expect(one.lignes).toBe(7000 - 8 - 5);
    expect(one.rejets.map((r) => r.ligne)).toEqual(
      rows.flatMap((r, i) => (r.includes('2020-02-30') ? [i + 2] : [])),
    );
    expect({ ...many, mois: a, version: 0 }).toEqual({ ...one, version: 0 });
    for (const who of [people[0]!, people[17]!, people[49]!]) {
      const [x, y] = [await lookup(a, who), await lookup(b, who)];
      expect(y!.lines).toHaveLength(x!.lines.length);
      expect(new Set(y!.lines.map((l) => JSON.stringify(l)))).toEqual(
        new Set(x!.lines.map((l) => JSON.stringify(l))),
      );
    }
  });

  it('stops at a line far too long, wherever it is, and says its number', async () => {
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const row = `${nir('1920169112345')},${employer},6201Z,01,2020-01-01,,151.67`;
    const long = 'x'.repeat(70 * 1024);
    for (const threads of [0, 2]) {
      // Inside a piece (a line feed after it), and last (none).
      const inside = [header, ...Array<string>(6000).fill(row), long, row].join('\n');
      const last = [header, ...Array<string>(6000).fill(row), long].join('\n');
      for (const text of [inside, last])
        await expect(
          importDsnMonth({
            databaseUrl: inject('databaseUrl'),
            mois: freshMonth(),
            format: 'csv',
            source: Readable.from([text]),
            hashNir,
            threads,
          }),
        ).rejects.toThrow(/^line 6002 is longer than/);
    }
  });
});

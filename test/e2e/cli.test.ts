import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { agoraWith } from '../helpers/agora-cli';
import { clearReferentiel, createBody, nir, siret } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { TEST_DATA_KEY, listen, startStack } from '../helpers/stack';
import { fileURLToPath } from 'node:url';

/** `npx agora ...` as an operator runs it: the real command, its exit code, stdout and stderr. */
const dir = mkdtempSync(join(tmpdir(), 'agora-cli-'));
let stack: Stack;
let env: NodeJS.ProcessEnv;

function agora(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return agoraWith(env, ...args);
}

beforeAll(async () => {
  stack = await startStack();
  env = {
    ...process.env,
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    AGORA_DATA_KEY: TEST_DATA_KEY,
    AGORA_EXPORT_DIR: join(dir, 'exports'),
  };
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the agora CLI', () => {
  it('prints its help, and refuses bad usage with exit code 2 and a message', async () => {
    const help = await agora('--help');
    expect(help.code).toBe(0);
    for (const cmd of ['partner create', 'dossier show', 'dsn import', 'export insertion']) {
      expect(help.out).toContain(cmd);
    }
    // A group's help: its own commands only.
    const flux = await agora('flux', '--help');
    expect(flux.code).toBe(0);
    expect(flux.out).toContain('flux send FILE');
    expect(flux.out).not.toContain('partner create');
    const unknown = await agora('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command/);
    const badRegion = await agora('export', 'insertion', '--region', '99');
    expect(badRegion.code).toBe(2);
    expect(badRegion.err).toMatch(/--region/);
    const badMonth = await agora('dsn', 'import', join(dir, 'x.csv'), '--month', '2026-13');
    expect(badMonth.code).toBe(2);
  });

  it('creates a partner, loads a DSN month, shows a dossier and exports its region', async () => {
    const regionSiret = siret(`2${String(Date.now()).slice(-12)}`);
    const created = await agora(
      'partner',
      'create',
      '--siret',
      regionSiret,
      '--name',
      'Region Test CLI',
      '--kind',
      'REGION',
      '--region',
      '93',
      '--json',
    );
    expect(created.code, created.err).toBe(0);
    const partner = JSON.parse(created.out);
    expect(partner).toMatchObject({ siret: regionSiret, kind: 'REGION' });
    expect(typeof partner.token).toBe('string');

    const base = createBody();
    const body = createBody({
      action: { ...base.action, region: '93', departement: '93' },
      financements: [{ financeurSiret: regionSiret, montantEngage: 100 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', partner.token, body)).status).toBe(201);

    const shown = await agora('dossier', 'show', body.dossierId, '--json');
    expect(shown.code, shown.err).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({
      dossierId: body.dossierId,
      status: 'EN_COURS_ELABORATION',
    });
    const missing = await agora('dossier', 'show', 'NO-SUCH-DOSSIER');
    expect(missing.code).not.toBe(0);

    const file = join(dir, 'dsn.csv');
    writeFileSync(
      file,
      [
        'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
        `${nir('1800575123456')},73282932000074,6201Z,01,2020-01-01,,151.67`,
        'not,a,valid,line',
      ].join('\n'),
    );
    const imported = await agora('dsn', 'import', file, '--month', '2019-04');
    expect(imported.code, imported.err).toBe(0);
    expect(imported.out).toMatch(/2019-04: 1 lines loaded, 1 rejected/);
    expect(imported.out).toMatch(/line 3:/);
    const months = await agora('dsn', 'months', '--json');
    expect(JSON.parse(months.out)).toContainEqual(expect.objectContaining({ mois: '2019-04', lignes: 1 }));

    // The region's file, waiting for the read model to have the dossier.
    let csv = '';
    for (let i = 0; i < 40 && !csv.includes(body.dossierId); i++) {
      const out = await agora('export', 'insertion', '--region', '93', '--out', '-');
      expect(out.code, out.err).toBe(0);
      csv = out.out;
      if (!csv.includes(body.dossierId)) await new Promise((r) => setTimeout(r, 250));
    }
    expect(csv.split('\n')[0]).toMatch(/^dossier_id,stagiaire_pseudo,region,/);
    expect(csv).toContain(body.dossierId);
    expect(csv).not.toContain(body.stagiaire.nir);

    const written = await agora('export', 'insertion', '--region', '93', '--json');
    expect(written.code, written.err).toBe(0);
    const result = JSON.parse(written.out);
    const manifest = JSON.parse(readFileSync(result.manifest, 'utf8'));
    expect(manifest.files).toEqual([expect.objectContaining({ region: '93', file: 'insertion-93.csv' })]);
    expect(readFileSync(join(dir, 'exports', 'insertion', manifest.date, 'insertion-93.csv'), 'utf8')).toBe(
      csv,
    );
    expect(written.err).toMatch(/region 93: \d+ rows, done/);
  });

  it("never makes a key: without one (environment or npm start's), a command that needs it refuses to run", async () => {
    const empty = mkdtempSync(join(tmpdir(), 'agora-nokey-'));
    try {
      const { AGORA_DATA_KEY: _key, ...rest } = env;
      const file = join(dir, 'nokey.csv');
      writeFileSync(file, 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n');
      const noKey = { ...rest, AGORA_DATA_DIR: empty };
      for (const args of [
        ['dsn', 'import', file, '--month', '2019-05'],
        ['export', 'insertion', '--region', '93', '--out', '-'],
        ['dossier', 'show', 'ANY'],
      ]) {
        const res = await agoraWith(noKey, ...args);
        expect(res.code, args.join(' ')).toBe(2);
        expect(res.err).toMatch(/no data key/);
      }
      expect(readdirSync(empty)).toEqual([]);
      const months = await agora('dsn', 'months', '--json');
      expect(JSON.parse(months.out)).not.toContainEqual(expect.objectContaining({ mois: '2019-05' }));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints the change feed as NDJSON with a partner token, and the cursor to resume from', async () => {
    // A financeur that sees its own dossiers only (a Region sees its territory's, every test's).
    const region = await stack.partner('AGEFIPH');
    const body = createBody({
      dossierId: `CLI-CH-${Date.now()}`,
      financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    const server = await listen(stack.app);
    try {
      const feed = await agora('changes', '--url', server.url, '--token', region.token);
      expect(feed.code).toBe(0);
      const lines = feed.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; type: string });
      expect(lines).toEqual([
        expect.objectContaining({ kind: 'DOSSIER', id: body.dossierId, type: 'CREATION' }),
      ]);
      const cursor = /cursor (\S+)/.exec(feed.err)![1]!;
      const again = await agora('changes', '--url', server.url, '--token', region.token, '--cursor', cursor);
      expect(again.out).toBe('');
      const refused = await agora('changes', '--url', server.url, '--token', 'nope');
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/401/);
    } finally {
      await server.close();
    }
  });

  it('sends a partner file with a progress bar and lists its refused lines', async () => {
    const region = await stack.partner('AGEFIPH');
    const dossierId = `CLI-FX-${Date.now()}`;
    const file = join(dir, 'flux.ndjson');
    writeFileSync(
      file,
      [
        JSON.stringify({
          op: 'CREATE',
          ...createBody({ dossierId, financements: [{ financeurSiret: region.siret, montantEngage: 100 }] }),
        }),
        JSON.stringify({
          op: 'EVENT',
          dossierId,
          eventId: `v-${dossierId}`,
          type: 'VALIDATION',
          date: '2026-01-20',
        }),
        JSON.stringify({
          op: 'EVENT',
          dossierId,
          eventId: `s-${dossierId}`,
          type: 'SORTIE',
          date: '2026-02-20',
        }),
        'not json',
      ].join('\n'),
    );
    const server = await listen(stack.app);
    try {
      const sent = await agora('flux', 'send', file, '--url', server.url, '--token', region.token);
      expect(sent.err).toMatch(/file [0-9a-f]{32}: 4 lines/);
      expect(sent.err).toMatch(/\[#{30}\] 100 %\s+4 \/ 4 lines/);
      expect(sent.out).toMatch(/^line 3: 400 VALIDATION_ERROR \(CLI-FX-\d+\) /m);
      expect(sent.out).toMatch(/^line 4: 400 VALIDATION_ERROR .*not JSON/m);
      expect(sent.out).toMatch(/4 lines: 2 accepted, 2 refused/);
      expect(sent.code).toBe(3);
      expect(sent.err).toMatch(/4 lines, running/);
      expect((await stack.call('GET', `/v1/dossiers/${dossierId}`, region.token)).body.status).toBe('VALIDE');
      // Sent again: the same answers, and says that nothing ran again.
      const again = await agora('flux', 'send', file, '--url', server.url, '--token', region.token);
      expect(again.err).toMatch(/4 lines, already run before \(nothing runs again\)/);
      expect(again.out).toBe(sent.out);
      expect(again.code).toBe(3);
      const missing = await agora(
        'flux',
        'send',
        join(dir, 'none.ndjson'),
        '--url',
        server.url,
        '--token',
        region.token,
      );
      expect(missing.code).toBe(2);
      // A file runs as its sender: no token given, none taken (not the admin's).
      const anonymous = await agora('flux', 'send', file, '--url', server.url);
      expect(anonymous.code).toBe(2);
      expect(anonymous.err).toMatch(/no token/);
    } finally {
      await server.close();
    }
  });

  it("loads France compétences' referential, reports its bad lines, and refuses what is not an export", async () => {
    const zip = fileURLToPath(new URL('../fixtures/export-fiches-csv-2026-11-02.zip', import.meta.url));
    try {
      const loaded = await agora('referentiel', 'import', zip, '--json');
      expect(loaded.code).toBe(0);
      expect(JSON.parse(loaded.out)).toMatchObject({ fiches: 7, certificateurs: 6, rejetsTotal: 2 });
      expect(loaded.err).toMatch(/100%/);
      const notAnExport = await agora('referentiel', 'import', dir);
      expect(notAnExport.code).toBe(2);
      expect(notAnExport.err).toMatch(/export_fiches_CSV_Standard_\*\.csv/);
    } finally {
      await clearReferentiel(stack.orm.em.getConnection());
    }
  });

  it('opens a CEP period as its operator, shows and lists it, and prints the CEP figures', async () => {
    const op = siret(`3${String(Date.now()).slice(-12)}`);
    const created = await agora(
      'partner',
      'create',
      '--siret',
      op,
      '--name',
      'Mission locale CLI',
      '--kind',
      'CEP_OPERATEUR',
      '--reseau',
      'MISSION_LOCALE',
      '--json',
    );
    expect(created.code).toBe(0);
    const noReseau = await agora(
      'partner',
      'create',
      '--siret',
      siret('3000000000001'),
      '--name',
      'x',
      '--kind',
      'CEP_OPERATEUR',
    );
    expect(noReseau.code).toBe(2);
    expect(noReseau.err).toMatch(/--reseau/);

    const periodeId = `CLI-${Date.now()}`;
    const file = join(dir, 'periode.json');
    const today = new Date().toISOString().slice(0, 10);
    writeFileSync(
      file,
      JSON.stringify({
        eventId: `o-${periodeId}`,
        periodeId,
        date: today,
        beneficiaire: { nir: nir('1850375123456'), nom: 'Petit', prenom: 'Jo', dateNaissance: '1985-03-01' },
        situation: 'ACTIF_OCCUPE',
        region: '84',
      }),
    );
    const opened = await agora('cep', 'open', file, '--siret', op, '--json');
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.out)).toMatchObject({ periodeId, statut: 'OUVERTE', operateurSiret: op });
    expect(JSON.parse(opened.out).beneficiaire.nir).toBeUndefined();
    // Not an operator: the API's refusal, exit code 1.
    const region = await stack.partner('REGION', '84');
    const refused = await agora('cep', 'open', file, '--siret', region.siret);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^FORBIDDEN: /);
    expect((await agora('cep', 'open', file, '--siret', siret('3000000000002'))).code).toBe(2);

    const shown = await agora('cep', 'show', periodeId, '--json');
    expect(JSON.parse(shown.out)).toMatchObject({ periodeId, niveau: 1 });
    expect((await agora('cep', 'show', 'NOPE-1')).code).toBe(1);
    // The record is written a moment after the opening.
    let listed = '';
    for (let i = 0; i < 50 && !listed.includes(periodeId); i++) {
      listed = (await agora('cep', 'list', '--region', '84')).out;
      if (!listed.includes(periodeId)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed).toContain(periodeId);
    const stats = await agora('cep', 'stats', '--by', 'operateur', '--json');
    expect(stats.code).toBe(0);
    const group = JSON.parse(stats.out).groups.find((g: { key: string }) => g.key === op);
    expect(group).toMatchObject({ periodes: 1, ouvertes: 1, nom: 'Mission locale CLI' });
    expect((await agora('cep', 'stats', '--by', 'nope')).code).toBe(2);
  });
});

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { importDsnMonth } from '../db/dsn-import';
import { nirKey } from '../domain/nir';
import { completeSiret } from '../domain/siret';
import { nirHasher } from '../infra/pseudonym';
import { BENCH_KEY } from './bench-server';
import { DATA_DIR } from '../infra/paths';

/** A month of `lines` valid contract lines, as a CSV file written once and reused. */
export async function dsnFile(lines: number): Promise<string> {
  const dir = join(DATA_DIR, 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `dsn-${lines}.csv`);
  try {
    if (statSync(file).size > 0) return file;
  } catch {
    // not written yet
  }
  const out = createWriteStream(file);
  out.write('nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n');
  const sirets = Array.from({ length: 1000 }, (_, i) => completeSiret(`4${String(i).padStart(12, '0')}`));
  const natures = ['01', '02', '03', '10', '29', '50'];
  for (let i = 0; i < lines; i++) {
    const n13 = `1${String(80 + (i % 20)).padStart(2, '0')}0175${String(i).padStart(6, '0')}`.slice(0, 13);
    const nir = `${n13}${String(nirKey(n13)).padStart(2, '0')}`;
    const row = `${nir},${sirets[i % 1000]},6201Z,${natures[i % 6]},2024-0${1 + (i % 9)}-01,${i % 3 ? '' : '2026-12-31'},${(i % 200) + 0.5}\n`;
    if (!out.write(row)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return file;
}

/** Our import (validation, pseudonymisation, COPY, index, swap) against psql's raw \copy of the same file. */
export async function benchDsnImport(databaseUrl: string, lines: number): Promise<Record<string, number>> {
  const file = await dsnFile(lines);
  // The key of every other scenario: the bench database records one platform key (db/hash-key.ts).
  const hashNir = nirHasher({ AGORA_DATA_KEY: BENCH_KEY });
  const t0 = performance.now();
  const r = await importDsnMonth({
    databaseUrl,
    mois: '1999-12',
    format: 'csv',
    source: createReadStream(file),
    hashNir,
  });
  const ours = (performance.now() - t0) / 1000;
  if (r.lignes !== lines) throw new Error(`imported ${r.lignes} of ${lines}`);

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('drop table if exists bench_raw_copy');
  await db.query(
    'create table bench_raw_copy (nir text, siret text, naf text, nature text, debut date, fin date, heures numeric)',
  );
  await db.end();
  const t1 = performance.now();
  const psql = spawnSync(
    'psql',
    [databaseUrl, '-q', '-c', `\\copy bench_raw_copy from '${file}' with (format csv, header)`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const raw = (performance.now() - t1) / 1000;
  if (psql.status !== 0) throw new Error('psql \\copy failed');
  const db2 = new pg.Client({ connectionString: databaseUrl });
  await db2.connect();
  await db2.query('drop table if exists bench_raw_copy');
  await db2.end();
  return {
    dsn_import_lines: lines,
    dsn_import_seconds: ours,
    dsn_import_lines_per_s: lines / ours,
    dsn_raw_copy_seconds: raw,
    dsn_raw_copy_lines_per_s: lines / raw,
  };
}

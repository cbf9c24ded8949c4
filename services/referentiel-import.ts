import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import yauzl from 'yauzl';
import { CsvRecords } from './csv-records';

/**
 * `npx agora referentiel import PATH` (CONTRACT.md, "Certification results"): France compétences'
 * public RNCP/RS export, the zip or a folder of its files, read as streams and loaded in one
 * transaction that replaces the previous referential (readers see the old one until it commits).
 */

type RefFile = 'fiches' | 'blocs' | 'certificateurs' | 'nsf';

/** The export's files, by their public names, and the columns read from each (others ignored). */
const FILES: { kind: RefFile; name: RegExp; pattern: string; columns: readonly string[] }[] = [
  {
    kind: 'fiches',
    name: /^export_fiches_CSV_Standard_.*\.csv$/i,
    pattern: 'export_fiches_CSV_Standard_*.csv',
    columns: ['Numero_Fiche', 'Intitule', 'Nomenclature_Europe_Niveau', 'Actif'],
  },
  {
    kind: 'blocs',
    // The "é" of Compétences: however the zip encodes its names.
    name: /^export_fiches_CSV_Blocs_De_Comp.{1,4}tences_.*\.csv$/i,
    pattern: 'export_fiches_CSV_Blocs_De_Compétences_*.csv',
    columns: ['Numero_Fiche', 'Bloc_Competences_Code', 'Bloc_Competences_Libelle'],
  },
  {
    kind: 'certificateurs',
    name: /^export_fiches_CSV_Certificateurs_.*\.csv$/i,
    pattern: 'export_fiches_CSV_Certificateurs_*.csv',
    columns: ['Numero_Fiche', 'Siret_Certificateur', 'Nom_Certificateur'],
  },
  {
    kind: 'nsf',
    name: /^export_fiches_CSV_Nsf_.*\.csv$/i,
    pattern: 'export_fiches_CSV_Nsf_*.csv',
    columns: ['Numero_Fiche', 'Nsf_Code', 'Nsf_Intitule'],
  },
];

/** The path is not an export of the expected shape: nothing was loaded. */
export class ReferentielFormatError extends Error {}

export interface ReferentielRejet {
  fichier: string;
  ligne: number;
  message: string;
}

export interface ReferentielImport {
  source: string;
  fiches: number;
  blocs: number;
  certificateurs: number;
  nsf: number;
  /** The first 100 bad lines; `rejetsTotal` counts them all. */
  rejets: ReferentielRejet[];
  rejetsTotal: number;
}

interface Source {
  name: string;
  size: number;
  open(): Promise<Readable>;
}

/** The export's four files in a zip, or in a folder. */
async function sourcesOf(path: string): Promise<{ sources: Map<RefFile, Source>; close(): void }> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ReferentielFormatError(`cannot read ${path}`);
  }
  const found = new Map<RefFile, Source>();
  const take = (name: string, source: Source) => {
    const file = FILES.find((f) => f.name.test(basename(name)));
    if (file && !found.has(file.kind)) found.set(file.kind, source);
  };
  let close = () => undefined as void;
  if (info.isDirectory()) {
    for (const name of (await readdir(path)).sort()) {
      const full = join(path, name);
      const s = await stat(full);
      if (s.isFile()) take(name, { name, size: s.size, open: async () => createReadStream(full) });
    }
  } else {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z))),
    ).catch((e: unknown) => {
      throw new ReferentielFormatError(
        `${path} is neither a folder nor a zip file (${e instanceof Error ? e.message : String(e)})`,
      );
    });
    close = () => zip.close();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) {
          take(entry.fileName, {
            name: basename(entry.fileName),
            size: entry.uncompressedSize,
            open: () =>
              new Promise((res, rej) => zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s)))),
          });
        }
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  }
  const missing = FILES.filter((f) => !found.has(f.kind)).map((f) => f.pattern);
  if (missing.length > 0) {
    close();
    throw new ReferentielFormatError(
      `${path} is not a France compétences export: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    );
  }
  return { sources: found, close };
}

const FICHE = /^(RNCP|RS)\d{1,6}$/;
const SIRET = /^\d{14}$/;

/** One line of a file: the row to insert, or why it is rejected. */
function rowOf(kind: RefFile, v: (column: string) => string): string[] | string {
  const fiche = v('Numero_Fiche').trim().toUpperCase();
  if (!FICHE.test(fiche)) return `Numero_Fiche ${JSON.stringify(fiche)}: expected RNCP or RS then digits`;
  switch (kind) {
    case 'fiches': {
      const intitule = v('Intitule').replace(/\s+/g, ' ').trim();
      if (!intitule) return 'Intitule is empty';
      const actif = v('Actif').trim().toUpperCase();
      return [
        fiche,
        intitule,
        v('Nomenclature_Europe_Niveau').trim(),
        String(actif === 'ACTIVE' || actif === 'OUI'),
      ];
    }
    case 'blocs': {
      const code = v('Bloc_Competences_Code').trim().toUpperCase();
      if (!code || code.length > 24)
        return `Bloc_Competences_Code ${JSON.stringify(code)}: expected a block code`;
      return [code, fiche, v('Bloc_Competences_Libelle').trim()];
    }
    case 'certificateurs': {
      const siret = v('Siret_Certificateur').replace(/\s/g, '');
      if (!SIRET.test(siret)) return `Siret_Certificateur ${JSON.stringify(siret)}: expected 14 digits`;
      return [fiche, siret, v('Nom_Certificateur').trim()];
    }
    case 'nsf': {
      const code = v('Nsf_Code').trim();
      if (!code || code.length > 16) return `Nsf_Code ${JSON.stringify(code)}: expected an NSF code`;
      return [fiche, code, v('Nsf_Intitule').trim()];
    }
  }
}

/** Each file's rows go in by batches: one statement of arrays (unnest) per batch. */
const INSERT: Record<RefFile, string> = {
  fiches: `insert into referentiel_fiches (numero_fiche, intitule, niveau, actif)
             select f, i, nullif(n, ''), a::boolean from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as x(f, i, n, a)
           on conflict (numero_fiche) do nothing`,
  blocs: `insert into referentiel_blocs (bloc_code, numero_fiche, libelle)
            select * from unnest($1::text[], $2::text[], $3::text[]) on conflict (bloc_code) do nothing`,
  certificateurs: `insert into referentiel_certificateurs (numero_fiche, siret, nom)
                     select * from unnest($1::text[], $2::text[], $3::text[]) on conflict do nothing`,
  nsf: `insert into referentiel_nsf (numero_fiche, nsf_code, nsf_intitule)
          select * from unnest($1::text[], $2::text[], $3::text[]) on conflict do nothing`,
};
const BATCH = 2000;

export async function importReferentiel(
  databaseUrl: string,
  path: string,
  onProgress: (p: { fichier: string; bytes: number; totalBytes: number }) => void = () => undefined,
): Promise<ReferentielImport> {
  const { sources, close } = await sourcesOf(path);
  const totalBytes = [...sources.values()].reduce((n, s) => n + s.size, 0);
  const result: ReferentielImport = {
    source: basename(path),
    fiches: 0,
    blocs: 0,
    certificateurs: 0,
    nsf: 0,
    rejets: [],
    rejetsTotal: 0,
  };
  const reject = (fichier: string, ligne: number, message: string) => {
    result.rejetsTotal++;
    if (result.rejets.length < 100) result.rejets.push({ fichier, ligne, message });
  };
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  let bytes = 0;
  try {
    await db.query('begin');
    // Replaced as a whole: what the new export does not list is no longer in the referential. A
    // delete, not a truncate: readers keep the previous version, unblocked, until the commit.
    for (const table of [
      'referentiel_fiches',
      'referentiel_blocs',
      'referentiel_certificateurs',
      'referentiel_nsf',
    ])
      await db.query(`delete from ${table}`);
    for (const file of FILES) {
      const source = sources.get(file.kind)!;
      const csv = new CsvRecords(';');
      const decoder = new TextDecoder('utf-8');
      let index: Map<string, number> | null = null;
      let batch: string[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const columns = batch[0]!.map((_, i) => batch.map((row) => row[i]!));
        const inserted = await db.query(INSERT[file.kind], columns);
        result[file.kind] += inserted.rowCount ?? 0;
        batch = [];
      };
      const take = async (records: { line: number; fields: string[] }[]) => {
        for (const { line, fields } of records) {
          if (index === null) {
            index = new Map(fields.map((name, i) => [name.trim(), i]));
            const absent = file.columns.filter((c) => !index!.has(c));
            if (absent.length > 0) {
              throw new ReferentielFormatError(
                `${source.name}: column${absent.length > 1 ? 's' : ''} ${absent.join(', ')} missing from its header (is it ;-separated?)`,
              );
            }
            continue;
          }
          const at = index;
          const row = rowOf(file.kind, (c) => fields[at.get(c)!] ?? '');
          if (typeof row === 'string') reject(source.name, line, row);
          else batch.push(row);
          if (batch.length >= BATCH) await flush();
        }
      };
      const stream = await source.open();
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        await take(csv.push(decoder.decode(chunk, { stream: true })));
        onProgress({ fichier: source.name, bytes, totalBytes });
      }
      await take([...csv.push(decoder.decode()), ...csv.end()]);
      if (index === null) throw new ReferentielFormatError(`${source.name} is empty: it has no header`);
      await flush();
    }
    await db.query(
      `insert into referentiel_imports (source, fiches, blocs, certificateurs, nsf, rejets)
       values ($1, $2, $3, $4, $5, $6)`,
      [result.source, result.fiches, result.blocs, result.certificateurs, result.nsf, result.rejetsTotal],
    );
    await db.query('commit');
    return result;
  } catch (e) {
    await db.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    close();
    await db.end().catch(() => undefined);
  }
}

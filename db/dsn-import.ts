import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { keyFingerprint } from '../infra/pseudonym';
import { ENSURE_HASH_KEY_SQL, HASH_KEY_SQL, mismatch } from './hash-key';
import { from as copyFrom } from 'pg-copy-streams';
import { DSN_FIELDS, parseDsnLine } from '../domain/dsn-line';

export type DsnFormat = 'csv' | 'ndjson';

export interface ImportResult {
  mois: string;
  lignes: number;
  rejets: { ligne: number; message: string }[];
  rejetsTotal: number;
  version: number;
}

export interface ImportOptions {
  databaseUrl: string;
  mois: string;
  format: DsnFormat;
  source: Readable;
  hashNir: (nir: string) => Buffer;
  /** Called every 50,000 lines and at the end. */
  onProgress?: (p: { lines: number; rejected: number }) => void;
  /** Test hook: called once the lines are copied, before the swap. */
  beforeSwap?: () => Promise<void>;
  /** The most bytes the source may send (DSN_MAX_BYTES by default). */
  maxBytes?: number;
}

/** Reported bad lines are capped: the total is still counted. */
const MAX_REPORTED = 1000;

export class ImportFormatError extends Error {}
/** The source sent more than the import takes. */
export class ImportTooLargeError extends Error {}

/** A DSN line is some hundred bytes: a longer one is not a line of a DSN file. */
export const DSN_MAX_LINE_BYTES = 64 * 1024;
/** A month of the whole country is a few GiB. */
export const DSN_MAX_BYTES = 16 * 1024 ** 3;

/**
 * The source's lines (LF or CRLF), read as they come with a bounded memory: a line longer than
 * `maxLine` or a source longer than `maxBytes` stops the read (the source is destroyed) with an
 * error, where a line splitter would hold a line without end in memory.
 */
export async function* boundedLines(
  source: Readable,
  maxLine = DSN_MAX_LINE_BYTES,
  maxBytes = DSN_MAX_BYTES,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let bytes = 0;
  let lineNo = 0;
  const tooLong = () =>
    new ImportFormatError(`line ${lineNo + 1} is longer than ${maxLine} bytes: not a DSN contract line`);
  try {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new ImportTooLargeError(`the month is larger than ${maxBytes} bytes`);
      const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end - start > maxLine) throw tooLong();
        lineNo++;
        yield text.slice(start, end);
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > maxLine) throw tooLong();
    }
    rest += decoder.end();
    if (rest.length > maxLine) throw tooLong();
    if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  } finally {
    source.destroy();
  }
}

function splitCsv(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const partitionName = (mois: string, version: number) => `dsn_lines_${mois.replace('-', '_')}_v${version}`;

/**
 * Load one month of DSN lines: streamed line by line into a new table with COPY, indexed, then
 * swapped in as the month's partition in one transaction. Until that commit the month keeps its
 * previous data; an import that dies leaves only a stray table, dropped by the next import.
 */
export async function importDsnMonth(opts: ImportOptions): Promise<ImportResult> {
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.mois)) throw new ImportFormatError(`invalid month ${opts.mois}`);
  const lockKey = `dsn-import:${opts.mois}`;
  let table: string | null = null;
  let copying: ReturnType<typeof copyFrom> | null = null;
  try {
    // One import of a month at a time, across every process.
    await client.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    // The month is hashed with the platform's key, or not at all.
    const mine = keyFingerprint(opts.hashNir);
    const platform =
      (await client.query<{ value: string | null }>(ENSURE_HASH_KEY_SQL, [mine])).rows[0]?.value ??
      (await client.query<{ value: string | null }>(HASH_KEY_SQL)).rows[0]?.value;
    if (platform !== mine) throw mismatch(mine, platform ?? 'none');
    await dropStrayTables(client, opts.mois);
    const version = Number(
      (await client.query('select nextval($1) as v', ['dsn_load_version_seq'])).rows[0].v,
    );
    table = partitionName(opts.mois, version);
    await client.query(`create table ${table} (like dsn_lines)`);

    const copy = client.query(
      copyFrom(`copy ${table} (mois, nir_hash, siret, naf, nature, date_debut, date_fin, heures) from stdin`),
    );
    copying = copy;
    const copyDone = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    // Awaited on success; on an aborted import its rejection is expected and must not go unhandled.
    copyDone.catch(() => undefined);
    const rejets: ImportResult['rejets'] = [];
    let rejected = 0;
    let lines = 0;
    let lineNo = 0;
    let header: string[] | null = null;
    let sep = ',';
    let buffer = '';
    const flush = async () => {
      if (buffer && !copy.write(buffer)) await new Promise((r) => copy.once('drain', r));
      buffer = '';
    };
    const reject = (message: string) => {
      rejected++;
      if (rejets.length < MAX_REPORTED) rejets.push({ ligne: lineNo, message });
    };

    for await (const raw of boundedLines(opts.source, DSN_MAX_LINE_BYTES, opts.maxBytes ?? DSN_MAX_BYTES)) {
      lineNo++;
      const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let record: Record<string, unknown>;
      if (opts.format === 'csv') {
        if (!header) {
          sep = text.includes(';') && !text.includes(',') ? ';' : ',';
          header = splitCsv(text, sep).map((h) => h.trim());
          const missing = DSN_FIELDS.filter((f) => f !== 'dateFinContrat' && !header!.includes(f));
          if (missing.length)
            throw new ImportFormatError(`line 1: the CSV header lacks ${missing.join(', ')}`);
          continue;
        }
        const cells = splitCsv(text, sep);
        if (cells.length !== header.length) {
          reject(`expected ${header.length} fields, found ${cells.length}`);
          continue;
        }
        record = {};
        for (let i = 0; i < header.length; i++) record[header[i]!] = cells[i];
      } else {
        try {
          const parsed: unknown = JSON.parse(text);
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
            reject('expected a JSON object');
            continue;
          }
          record = parsed as Record<string, unknown>;
        } catch {
          reject('not valid JSON');
          continue;
        }
      }
      const r = parseDsnLine(record);
      if (!r.ok) {
        reject(r.message);
        continue;
      }
      const l = r.line;
      buffer += `${opts.mois}\t\\\\x${opts.hashNir(l.nir).toString('hex')}\t${l.siret}\t${l.naf}\t${l.natureContrat}\t${l.dateDebutContrat}\t${l.dateFinContrat ?? '\\N'}\t${l.heures}\n`;
      lines++;
      if (buffer.length > 64 * 1024) await flush();
      if (lines % 50_000 === 0) opts.onProgress?.({ lines, rejected });
    }
    if (opts.format === 'csv' && !header)
      throw new ImportFormatError('the file is empty: a CSV needs its header line');
    await flush();
    copy.end();
    await copyDone;
    copying = null;
    opts.onProgress?.({ lines, rejected });

    // The check constraint lets ATTACH skip its validation scan.
    await client.query(`alter table ${table} add constraint ${table}_mois check (mois = '${opts.mois}')`);
    await client.query(`create index ${table}_nir on ${table} (nir_hash)`);
    await opts.beforeSwap?.();

    await client.query('begin');
    const previous = await client.query<{ partition_name: string }>(
      'select partition_name from dsn_months where mois = $1 for update',
      [opts.mois],
    );
    const old = previous.rows[0]?.partition_name;
    if (old) {
      await client.query(`alter table dsn_lines detach partition ${old}`);
      await client.query(`drop table ${old}`);
    }
    await client.query(`alter table dsn_lines attach partition ${table} for values in ('${opts.mois}')`);
    await client.query(
      `insert into dsn_months (mois, version, lignes, partition_name, loaded_at, hash_key) values ($1, $2, $3, $4, now(), $5)
       on conflict (mois) do update set version = excluded.version, lignes = excluded.lignes,
         partition_name = excluded.partition_name, loaded_at = excluded.loaded_at, hash_key = excluded.hash_key`,
      [opts.mois, version, lines, table, mine],
    );
    await client.query('commit');
    table = null;
    return { mois: opts.mois, lignes: lines, rejets, rejetsTotal: rejected, version };
  } catch (e) {
    if (copying) {
      // Abort the COPY (CopyFail): the connection then answers queries again.
      const aborted = new Promise((r) => copying!.once('error', r).once('close', r));
      copying.destroy(new Error('import aborted'));
      await aborted;
    }
    await client.query('rollback').catch(() => undefined);
    if (table) await client.query(`drop table if exists ${table}`).catch(() => undefined);
    throw e;
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** Tables of an earlier import of this month that died before its swap. */
async function dropStrayTables(client: pg.Client, mois: string): Promise<void> {
  const prefix = `dsn_lines_${mois.replace('-', '_')}_v`;
  const { rows } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c
       where c.relkind = 'r' and c.relname like $1
         and not exists (select 1 from pg_inherits i where i.inhrelid = c.oid)`,
    [`${prefix}%`],
  );
  for (const r of rows) await client.query(`drop table if exists ${r.name}`);
}

export interface MonthInfo {
  mois: string;
  lignes: number;
  version: number;
  loadedAt: string;
}

/** The loaded months; `run` executes one SQL statement (a pg client, or the ORM's pool). */
export async function listMonths(run: (sql: string) => Promise<unknown[]>): Promise<MonthInfo[]> {
  const rows = (await run('select mois, lignes, version, loaded_at from dsn_months order by mois')) as {
    mois: string;
    lignes: number;
    version: string;
    loaded_at: Date | string;
  }[];
  return rows.map((r) => ({
    mois: r.mois,
    lignes: r.lignes,
    version: Number(r.version),
    loadedAt: new Date(r.loaded_at).toISOString(),
  }));
}

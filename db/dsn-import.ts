import type { Readable } from 'node:stream';
import pg from 'pg';
import { keyFingerprint } from '../infra/pseudonym';
import { ENSURE_HASH_KEY_SQL, HASH_KEY_SQL, mismatch } from './hash-key';
import { from as copyFrom } from 'pg-copy-streams';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildSync, stop } from 'esbuild';
import { join } from 'node:path';
import { ROOT } from '../infra/paths';
import { DSN_FIELDS } from '../domain/dsn-line';
import { hasherKey } from '../infra/pseudonym';
import {
  type BatchContext,
  COPY_HEADER,
  COPY_TRAILER,
  type ChunkResult,
  type NirHasher,
  parseChunk,
  splitCsv,
} from './dsn-parse';
import { hmacLanes, lanesModule } from '../infra/hmac-lanes';

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
  /**
   * Threads checking and hashing the lines while COPY streams (default: the cores, 4 at most;
   * AGORA_DSN_THREADS); 0: all in this thread. A month of one batch or less uses none.
   */
  threads?: number;
}

/** Bytes handed to a thread at once: some 2,000 lines of a DSN extract. */
const CHUNK_BYTES = 128 * 1024;

let threadCode: string | undefined;
/**
 * The threads' code: db/dsn-parse-thread.ts and the rules it imports, compiled once per process
 * (esbuild, some 30 ms) rather than by tsx in each thread at each import (a loader thread of its
 * own and a fifth of a second of CPU per thread, docs/PERFORMANCE.md "DSN import, session 14").
 */
function parseThreadCode(): string {
  if (threadCode) return threadCode;
  threadCode = buildSync({
    entryPoints: [join(ROOT, 'db', 'dsn-parse-thread.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    // A function around it all: the thread evaluates it as a script, whose top-level names would
    // otherwise meet the globals (crypto).
    format: 'iife',
    target: 'node20',
    logLevel: 'error',
  }).outputFiles[0]!.text;
  // esbuild's service process would otherwise stay alive beside this one, with its memory.
  void stop();
  return threadCode;
}

/**
 * Each piece of the file checked and hashed, in this thread or spread over threads, answers in
 * order of submission.
 */
function batchParser(ctx: BatchContext, hashNir: (nir: string) => Buffer, threads: number) {
  const key = hasherKey(hashNir);
  // The platform's hasher has its key: the NIRs hashed four at a time into the COPY bytes
  // (infra/hmac-lanes.ts).
  const hasher: NirHasher = key ? { bytes: hashNir, lanes: hmacLanes(key) } : { bytes: hashNir };
  let pool: {
    worker: Worker;
    waiting: Map<number, { ok: (r: ChunkResult) => void; ko: (e: unknown) => void }>;
  }[] = [];
  let next = 0;
  let batches = 0;
  const start = () => {
    pool = Array.from({ length: threads }, () => {
      const worker = new Worker(parseThreadCode(), {
        eval: true,
        // The hashing module compiled here, once, not in each thread.
        workerData: { key: new Uint8Array(key!), ctx, lanes: lanesModule() },
      });
      const waiting = new Map<number, { ok: (r: ChunkResult) => void; ko: (e: unknown) => void }>();
      worker.on('message', (m: ChunkResult & { id: number }) => {
        waiting.get(m.id)?.ok(m);
        waiting.delete(m.id);
      });
      const fail = (e: unknown) => {
        for (const w of waiting.values()) w.ko(e);
        waiting.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`a DSN import thread stopped (${code})`)));
      return { worker, waiting };
    });
  };
  return {
    submit(bytes: Uint8Array): Promise<ChunkResult> {
      // The first piece here: a small month never pays for starting threads.
      if (batches++ === 0 || threads === 0 || !key) return Promise.resolve(parseChunk(ctx, bytes, hasher));
      if (pool.length === 0) start();
      const t = pool[next++ % pool.length]!;
      // A piece that is its whole buffer moves to the thread without a copy.
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return new Promise((ok, ko) => {
        t.waiting.set(next, { ok, ko });
        t.worker.postMessage({ id: next, bytes }, whole ? [bytes.buffer as ArrayBuffer] : []);
      });
    },
    async close() {
      await Promise.all(pool.map((t) => t.worker.terminate()));
    },
  };
}

const defaultThreads = () => {
  const set = process.env.AGORA_DSN_THREADS;
  if (set !== undefined && /^\d+$/.test(set)) return Number(set);
  return Math.min(4, availableParallelism());
};

/** Reported bad lines are capped: the total is still counted. */
const MAX_REPORTED = 1000;

export class ImportFormatError extends Error {
  constructor(
    message: string,
    /** What to show the sender besides: the lines refused, when none could be kept. */
    readonly details?: unknown,
  ) {
    super(message);
  }
}
/** The source sent more than the import takes. */
export class ImportTooLargeError extends Error {}

/** A DSN line is some hundred bytes: a longer one is not a line of a DSN file. */
export const DSN_MAX_LINE_BYTES = 64 * 1024;
/** A month of the whole country is a few GiB. */
export const DSN_MAX_BYTES = 16 * 1024 ** 3;

/** The source's last line, still without its end, is longer than the most a line may be. */
class LineTooLong extends Error {}

/**
 * The source in pieces of whole lines (each ending with its line feed, but the source's last), of
 * CHUNK_BYTES or more, each in a buffer of its own (moved to a thread without a copy). Memory stays
 * bounded: a line longer than `maxLine` (LineTooLong, once the lines before it are handed out) or a
 * source longer than `maxBytes` stops the read (the source is destroyed), where a line splitter
 * would hold a line without end in memory.
 */
export async function* lineChunks(
  source: Readable,
  maxLine = DSN_MAX_LINE_BYTES,
  maxBytes = DSN_MAX_BYTES,
): AsyncGenerator<Uint8Array> {
  let parts: Buffer[] = [];
  let size = 0;
  let bytes = 0;
  // Bytes at the end of `parts` after their last line feed.
  let tail = 0;
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let off = 0;
    const keep: Buffer[] = [];
    for (const p of parts) {
      if (off >= n) {
        keep.push(p);
        continue;
      }
      const k = Math.min(p.length, n - off);
      out.set(k === p.length ? p : p.subarray(0, k), off);
      off += k;
      if (k < p.length) keep.push(p.subarray(k));
    }
    parts = keep;
    size -= n;
    return out;
  };
  try {
    for await (const c of source as AsyncIterable<Buffer | string>) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : c;
      bytes += chunk.length;
      if (bytes > maxBytes) throw new ImportTooLargeError(`the month is larger than ${maxBytes} bytes`);
      parts.push(chunk);
      size += chunk.length;
      const nl = chunk.lastIndexOf(10);
      tail = nl === -1 ? tail + chunk.length : chunk.length - nl - 1;
      if (tail > maxLine) {
        if (size > tail) yield take(size - tail);
        throw new LineTooLong();
      }
      if (size - tail < CHUNK_BYTES) continue;
      const whole = take(size - tail);
      // A source's chunk far larger than a piece (a string, a large read) is cut at line feeds.
      let at = 0;
      while (whole.length - at >= 2 * CHUNK_BYTES) {
        const nl = whole.indexOf(10, at + CHUNK_BYTES - 1);
        yield whole.slice(at, nl + 1);
        at = nl + 1;
      }
      yield at === 0 ? whole : whole.slice(at);
    }
    if (size > 0) yield take(size);
  } finally {
    source.destroy();
  }
}

/**
 * PostgreSQL on this machine shares its cores with the import: the month's index is then sorted by
 * as many of its processes as there are cores (its own and cores - 1 workers), not one more; a
 * server of its own keeps its setting. A million keys: 0.34 s with one worker on 2 cores, 0.44 with
 * PostgreSQL's default of 2 (docs/PERFORMANCE.md, "DSN import, session 21"). Null: leave it be.
 */
export function indexWorkers(databaseUrl: string): number | null {
  let host: string;
  try {
    const url = new URL(databaseUrl);
    host = url.searchParams.get('host') ?? decodeURIComponent(url.hostname);
  } catch {
    return null;
  }
  const local = host === '' || host.startsWith('/') || ['localhost', '127.0.0.1', '[::1]'].includes(host);
  return local ? Math.max(0, availableParallelism() - 1) : null;
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
  let parser: ReturnType<typeof batchParser> | null = null;
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
    // The check constraint lets ATTACH skip its validation scan; checked row by row as COPY writes,
    // it costs less than that scan.
    await client.query(
      `create table ${table} (like dsn_lines, constraint ${table}_mois check (mois = '${opts.mois}'))`,
    );

    const copy = client.query(
      copyFrom(
        `copy ${table} (mois, nir_hash, nir_key, siret, naf, nature, date_debut, date_fin, heures) from stdin (format binary)`,
      ),
    );
    copy.write(COPY_HEADER);
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
    // The lines numbered so far: those of the pieces written, the header's before them.
    let numbered = 0;
    let header: string[] | null = null;
    let sep = ',';
    const threads = opts.threads ?? defaultThreads();
    // Pieces in flight, answered in file order: their COPY tuples go out in that order.
    const inFlight: Promise<ChunkResult>[] = [];
    let reported = 0;
    const tooLong = (ligne: number) =>
      new ImportFormatError(
        `line ${ligne} is longer than ${DSN_MAX_LINE_BYTES} bytes: not a DSN contract line`,
      );
    const writeNext = async () => {
      const r = await inFlight.shift()!;
      if (r.tooLong !== undefined) throw tooLong(numbered + r.tooLong);
      if (r.copy.length > 0) {
        const ok = copy.write(Buffer.from(r.copy.buffer, r.copy.byteOffset, r.copy.byteLength));
        if (!ok) await new Promise((done) => copy.once('drain', done));
      }
      lines += r.lines;
      rejected += r.rejects.length;
      for (const x of r.rejects)
        if (rejets.length < MAX_REPORTED) rejets.push({ ligne: numbered + x.ligne, message: x.message });
      numbered += r.count;
      if (Math.floor(lines / 50_000) > reported) {
        reported = Math.floor(lines / 50_000);
        opts.onProgress?.({ lines, rejected });
      }
    };
    const send = async (bytes: Uint8Array) => {
      parser ??= batchParser(
        { mois: opts.mois, format: opts.format, header, sep, maxLine: DSN_MAX_LINE_BYTES },
        opts.hashNir,
        threads,
      );
      const batch = parser.submit(bytes);
      // Awaited in order by writeNext; a piece failed while an earlier one is written must not
      // count as unhandled meanwhile.
      batch.catch(() => undefined);
      inFlight.push(batch);
      while (inFlight.length > Math.max(2, threads * 2)) await writeNext();
    };

    const decoder = new TextDecoder();
    let first = true;
    try {
      for await (let bytes of lineChunks(opts.source, DSN_MAX_LINE_BYTES, opts.maxBytes ?? DSN_MAX_BYTES)) {
        // A byte order mark before the first line is not part of it.
        if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
        first = false;
        // A CSV's header, its first line that is not blank, read here: the pieces need it.
        while (opts.format === 'csv' && !header && bytes.length > 0) {
          const nl = bytes.indexOf(10);
          const end = nl === -1 ? bytes.length : nl;
          const text = decoder.decode(bytes.subarray(0, end > 0 && bytes[end - 1] === 13 ? end - 1 : end));
          bytes = bytes.subarray(nl === -1 ? bytes.length : nl + 1);
          numbered++;
          if (end > DSN_MAX_LINE_BYTES) throw tooLong(numbered);
          if (text.trim() === '') continue;
          sep = text.includes(';') && !text.includes(',') ? ';' : ',';
          header = splitCsv(text, sep).map((h) => h.trim());
          const missing = DSN_FIELDS.filter((f) => f !== 'dateFinContrat' && !header!.includes(f));
          if (missing.length)
            throw new ImportFormatError(`line 1: the CSV header lacks ${missing.join(', ')}`);
        }
        if (bytes.length > 0) await send(bytes);
      }
    } catch (e) {
      if (!(e instanceof LineTooLong)) throw e;
      // The line after those handed out is too long: they say its number.
      while (inFlight.length > 0) await writeNext();
      throw tooLong(numbered + 1);
    }
    if (opts.format === 'csv' && !header)
      throw new ImportFormatError('the file is empty: a CSV needs its header line');
    while (inFlight.length > 0) await writeNext();
    copy.end(COPY_TRAILER);
    await copyDone;
    copying = null;
    opts.onProgress?.({ lines, rejected });
    // Every line refused: a broken file, not a month without jobs. The month keeps what it had.
    if (lines === 0 && rejected > 0) {
      throw new ImportFormatError(
        `every line of the file was refused (${rejected}): the month ${opts.mois} was not replaced`,
        rejets.map((r) => ({ path: `body.line.${r.ligne}`, message: r.message })),
      );
    }

    // The month's index, on the hash's first 8 bytes as a bigint (db/dsn-parse.ts, COPY_COLUMNS),
    // is built in memory (a million keys sort in well under 256 MiB).
    await client.query(`set maintenance_work_mem = '256MB'`);
    const workers = indexWorkers(opts.databaseUrl);
    if (workers !== null)
      await client.query(
        `select set_config('max_parallel_maintenance_workers',
           least(current_setting('max_parallel_maintenance_workers')::int, $1)::text, false)`,
        [workers],
      );
    // A month is never written again once loaded: its index pages full.
    await client.query(`create index ${table}_key on ${table} (nir_key) with (fillfactor = 100)`);
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
    // Set inside `send` (a closure): TypeScript's narrowing does not see it.
    await (parser as ReturnType<typeof batchParser> | null)?.close().catch(() => undefined);
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

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordAccess } from '../db/audit';
import { RegionCode } from '../domain/codes';
import { isCalendarDate } from '../domain/dates';
import { type InsertionExportOptions, exportInsertion } from '../db/insertion-export';

export interface InsertionFile {
  region: string;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ExportManifest {
  kind: 'insertion';
  date: string;
  generatedAt: string;
  files: InsertionFile[];
}

/**
 * `{exportDir}/insertion/{date}/`: one folder per run, the files and their manifest. The date is a
 * calendar day or nothing: a path given from outside (`../`) never leaves the export folder.
 */
export function runDir(exportDir: string, date: string): string {
  if (!isCalendarDate(date))
    throw new ExportInputError(`not a calendar date YYYY-MM-DD: ${JSON.stringify(date)}`);
  return join(exportDir, 'insertion', date);
}

/** An export asked with an input that must not reach the file system. */
export class ExportInputError extends Error {}

/**
 * Write a region's file under the run's folder: streamed to a `.partial` file, checksummed on the
 * way, then renamed, so a reader never sees half a file.
 */
export async function writeInsertionFile(
  opts: InsertionExportOptions & { exportDir: string; date: string },
): Promise<InsertionFile> {
  if (!RegionCode.safeParse(opts.region).success)
    throw new ExportInputError(`not a region code: ${opts.region}`);
  const dir = runDir(opts.exportDir, opts.date);
  await mkdir(dir, { recursive: true });
  const name = `insertion-${opts.region}.csv`;
  const partial = join(dir, `${name}.partial`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const file = await exportInsertion({ ...opts, ...(opts.onRows ? { onRows: opts.onRows } : {}) });
  try {
    await pipeline(file.stream, tap, createWriteStream(partial));
    const { rows } = await file.done;
    await rename(partial, join(dir, name));
    return { region: opts.region, file: name, rows, bytes, sha256: hash.digest('hex') };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

/**
 * A region's file of the run, recorded in the access audit once written: the Schedule's activity
 * and `agora export insertion` both run this. `audit`: what else the audit entry says of the run.
 */
export async function exportRegionFile(
  em: EntityManager,
  opts: Parameters<typeof writeInsertionFile>[0],
  audit: Record<string, unknown>,
): Promise<InsertionFile> {
  const file = await writeInsertionFile(opts);
  await recordAccess(em, opts.actor, 'EXPORT', null, {
    file: 'insertion',
    region: opts.region,
    rows: file.rows,
    ...audit,
  });
  return file;
}

/** Write (or complete) the run's manifest: entries of the same region are replaced. */
export async function writeManifest(
  exportDir: string,
  date: string,
  files: InsertionFile[],
): Promise<string> {
  const dir = runDir(exportDir, date);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  let previous: InsertionFile[] = [];
  try {
    previous = (JSON.parse(await readFile(path, 'utf8')) as ExportManifest).files;
  } catch {
    // no manifest yet
  }
  const regions = new Set(files.map((f) => f.region));
  const manifest: ExportManifest = {
    kind: 'insertion',
    date,
    generatedAt: new Date().toISOString(),
    files: [...previous.filter((f) => !regions.has(f.region)), ...files].sort((a, b) =>
      a.region.localeCompare(b.region),
    ),
  };
  await writeFile(`${path}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.partial`, path);
  return path;
}

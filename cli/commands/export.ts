import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportPseudonymizer } from '../../infra/pseudonym';
import { ADMIN } from '../../domain/authorization';
import { RegionCode } from '../../domain/codes';
import { recordAccess } from '../../db/audit';
import { exportInsertion } from '../../db/insertion-export';
import { type InsertionFile, exportRegionFile, runDir, writeManifest } from '../../services/insertion-files';
import { DATA_DIR } from '../../infra/paths';
import { type Command, UsageError, dataKey, env, print, withOrm } from '../context';

export const exportInsertionCommand: Command = async ({ values, json }) => {
  const regions = values.region ? [values.region] : RegionCode.options;
  if (!regions.every((r) => RegionCode.safeParse(r).success)) {
    throw new UsageError(`--region: not a region code (one of ${RegionCode.options.join(', ')})`);
  }
  if (values.out && regions.length !== 1) throw new UsageError('--out needs one --region');
  const pseudo = exportPseudonymizer({ AGORA_DATA_KEY: dataKey(), AGORA_HASH_KEY: env.AGORA_HASH_KEY });
  const tty = process.stderr.isTTY;
  const progress = (region: string, rows: number, done = false) => {
    const text = `region ${region}: ${rows.toLocaleString('en')} rows${done ? ', done' : ''}`;
    if (tty) process.stderr.write(`\r${text}${done ? '\n' : ''}`);
    else if (done) process.stderr.write(`${text}\n`);
  };
  return withOrm(async (orm) => {
    if (values.out) {
      const region = regions[0]!;
      const file = await exportInsertion({
        databaseUrl: env.DATABASE_URL,
        region,
        actor: ADMIN,
        pseudo,
        onRows: (rows) => progress(region, rows),
      });
      await recordAccess(orm.em.fork(), ADMIN, 'EXPORT', null, { file: 'insertion', region, via: 'cli' });
      await pipeline(file.stream, values.out === '-' ? process.stdout : createWriteStream(values.out));
      progress(region, (await file.done).rows, true);
      return 0;
    }
    const exportDir = env.AGORA_EXPORT_DIR ?? join(DATA_DIR, 'exports');
    const date = new Date().toISOString().slice(0, 10);
    const files: InsertionFile[] = [];
    for (const region of regions) {
      const f = await exportRegionFile(
        orm.em.fork(),
        {
          databaseUrl: env.DATABASE_URL,
          exportDir,
          date,
          region,
          actor: ADMIN,
          pseudo,
          onRows: (rows) => progress(region, rows),
        },
        { via: 'cli' },
      );
      progress(region, f.rows, true);
      files.push(f);
    }
    const manifest = await writeManifest(exportDir, date, files);
    print({ manifest, files }, json, () =>
      [
        ...files.map((f) => `${join(runDir(exportDir, date), f.file)}  ${f.rows} rows  sha256 ${f.sha256}`),
        `manifest: ${manifest}`,
      ].join('\n'),
    );
    return 0;
  });
};

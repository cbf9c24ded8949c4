import pg from 'pg';
import { createReadStream, statSync } from 'node:fs';
import { Transform } from 'node:stream';
import { nirHasher } from '../../infra/pseudonym';
import { MonthString } from '../../domain/schemas';
import { ImportFormatError, listMonths } from '../../db/dsn-import';
import { loadDsnMonth } from '../../services/dsn-month-load';
import { type Command, UsageError, dataKey, env, print, withClient } from '../context';

export const dsnImport: Command = async ({ values, arg, json }) => {
  const file = arg;
  const mois = values.month ?? '';
  if (!file) throw new UsageError('usage: agora dsn import FILE --month YYYY-MM');
  if (!MonthString.safeParse(mois).success)
    throw new UsageError('--month takes a month YYYY-MM, from 2000-01 on');
  const format = (values.format ?? (/\.(nd)?jsonl?$|\.ndjson$/i.test(file) ? 'ndjson' : 'csv')) as
    'csv' | 'ndjson';
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format takes csv or ndjson');
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  let read = 0;
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let shown = 0;
  const progress = (lines: number, rejected: number, done = false) => {
    const pct = size ? Math.min(100, Math.round((read / size) * 100)) : 100;
    const rate = Math.round(lines / Math.max(0.001, (Date.now() - started) / 1000));
    const text = `${mois}: ${pct}% ${lines.toLocaleString('en')} lines, ${rejected} rejected, ${rate.toLocaleString('en')} lines/s`;
    if (tty) process.stderr.write(`\r${text}${done ? '\n' : ''}`);
    else if (done || Math.floor(lines / 200_000) > shown) {
      // Not a terminal (CI, a log): a line each time the count passes a multiple of 200,000.
      shown = Math.floor(lines / 200_000);
      process.stderr.write(`${text}\n`);
    }
  };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      read += chunk.length;
      cb(null, chunk);
    },
  });
  return withClient(async (client) => {
    try {
      const result = await loadDsnMonth(
        {
          client,
          databaseUrl: env.DATABASE_URL,
          taskQueue: env.TEMPORAL_TASK_QUEUE,
          hashNir: nirHasher({ AGORA_DATA_KEY: dataKey(), AGORA_HASH_KEY: env.AGORA_HASH_KEY }),
        },
        {
          mois,
          format,
          source: createReadStream(file).pipe(counter),
          onProgress: ({ lines, rejected }) => progress(lines, rejected),
        },
      );
      read = size;
      progress(result.lignes, result.rejetsTotal, true);
      print(
        {
          mois: result.mois,
          lignes: result.lignes,
          rejets: result.rejets,
          rejetsTotal: result.rejetsTotal,
        },
        json,
        () =>
          [
            `${result.mois}: ${result.lignes} lines loaded, ${result.rejetsTotal} rejected; waiting dossiers are being woken`,
            ...result.rejets.slice(0, 20).map((r) => `  line ${r.ligne}: ${r.message}`),
            ...(result.rejetsTotal > 20
              ? [`  ... and ${result.rejetsTotal - 20} more (--json lists up to 1000)`]
              : []),
          ].join('\n'),
      );
      return 0;
    } catch (e) {
      if (e instanceof ImportFormatError) {
        const refused = (e.details as { path: string; message: string }[] | undefined) ?? [];
        const lines = refused
          .slice(0, 20)
          .map((r) => `  line ${r.path.slice('body.line.'.length)}: ${r.message}`);
        throw new UsageError([e.message, ...lines].join('\n'));
      }
      throw e;
    }
  });
};

export const dsnMonths: Command = async ({ json }) => {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const months = await listMonths(async (sql) => (await client.query(sql)).rows);
    print(
      months,
      json,
      () =>
        months
          .map((m) => `${m.mois}  ${String(m.lignes).padStart(10)} lines  loaded ${m.loadedAt}`)
          .join('\n') || 'no months loaded',
    );
    return 0;
  } finally {
    await client.end();
  }
};

import { migrate, openOrm } from '../db/orm';
import { ensureDatabase, ensurePostgres } from '../scripts/postgres';
import { benchDsnImport } from './dsn-import';

// Benchmarks print one figure per line (`name: value unit`), then ratios against the baseline
// measured in the same run (`name_ratio: value`). BENCH_QUICK=1 runs small sizes in seconds.
const quick = process.env.BENCH_QUICK === '1';
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/agora_bench';

await ensurePostgres(databaseUrl);
await ensureDatabase(databaseUrl);
const orm = await openOrm(databaseUrl, { poolMax: 1 });
await migrate(orm);
await orm.close();

const lines = quick ? 100_000 : 1_000_000;
const dsn = await benchDsnImport(databaseUrl, lines);
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));
console.log(`dsn_import_lines: ${dsn.dsn_import_lines} lines`);
console.log(`dsn_import_time: ${fmt(dsn.dsn_import_seconds!)} s`);
console.log(`dsn_import_rate: ${Math.round(dsn.dsn_import_lines_per_s!)} lines/s`);
console.log(`dsn_raw_copy_time: ${fmt(dsn.dsn_raw_copy_seconds!)} s`);
console.log(`dsn_raw_copy_rate: ${Math.round(dsn.dsn_raw_copy_lines_per_s!)} lines/s`);
console.log(`dsn_import_ratio: ${(dsn.dsn_import_lines_per_s! / dsn.dsn_raw_copy_lines_per_s!).toFixed(2)}`);

import { migrate, openOrm } from '../db/orm';
import { ensureDatabase } from '../scripts/postgres';
import { benchPartnerEvents } from './partner-events';
const databaseUrl = 'postgres://postgres@127.0.0.1:5432/agora_bench';
await ensureDatabase(databaseUrl);
const orm = await openOrm(databaseUrl, { poolMax: 1 });
await migrate(orm);
await orm.close();
const n = Number(process.env.N ?? 40);
const ev = await benchPartnerEvents(databaseUrl, n, 20, { processes: process.env.BENCH_PROCESSES === '1' });
const f = (v: number) => v.toFixed(1);
console.log(
  `create ${f(ev.creation_per_s!)}/s raw ${f(ev.raw_start_per_s!)}/s ratio ${(ev.creation_per_s! / ev.raw_start_per_s!).toFixed(2)}`,
);
console.log(
  `event ${f(ev.event_per_s!)}/s p50 ${f(ev.event_p50_ms!)} p99 ${f(ev.event_p99_ms!)} | raw ${f(ev.raw_update_per_s!)}/s p50 ${f(ev.raw_update_p50_ms!)} p99 ${f(ev.raw_update_p99_ms!)} | ratio ${(ev.event_per_s! / ev.raw_update_per_s!).toFixed(2)} p99x ${(ev.event_p99_ms! / ev.raw_update_p99_ms!).toFixed(2)}`,
);
process.exit(0);

import { migrate, openOrm } from '../db/orm';
import { ensureDatabase, ensurePostgres } from '../scripts/postgres';
import { benchDsnImport } from './dsn-import';
import {
  EVENTS_VIA,
  EVENT_TYPES,
  type EventsVia,
  STATUS_CHANGES,
  benchPartnerEvents,
} from './partner-events';
import { benchReadModel } from './read-model';
import { benchOpenDossiers } from './open-dossiers';
import { benchCep } from './cep';
import { benchChanges } from './changes';
import { benchFlux } from './flux';

// Benchmarks print one figure per line (`name: value unit`), then ratios against the baseline
// measured in the same run (`name_ratio: value`). BENCH_QUICK=1 runs small sizes in seconds.
const quick = process.env.BENCH_QUICK === '1';
// BENCH_ONLY=events,dsn,read,open,cep,feed,flux: some scenarios only (all by default).
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const runs = (scenario: string) => !only || only.includes(scenario);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/agora_bench';

await ensurePostgres(databaseUrl);
await ensureDatabase(databaseUrl);
const orm = await openOrm(databaseUrl, { poolMax: 1 });
await migrate(orm);
await orm.close();

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(3));

if (runs('events')) {
  // BENCH_DOSSIERS=n: another size (40 quick, 1,000 full).
  const dossiers = Number(process.env.BENCH_DOSSIERS ?? (quick ? 40 : 1000));
  const concurrency = 20;
  // BENCH_PROCESSES=1: the worker and the API as their own processes, as in production.
  // BENCH_EVENTS_VIA=gateway|workflow: the events without HTTP, or without PostgreSQL too (where the time goes).
  const via = (process.env.BENCH_EVENTS_VIA ?? 'http') as EventsVia;
  if (!EVENTS_VIA.includes(via)) throw new Error(`BENCH_EVENTS_VIA: one of ${EVENTS_VIA.join(', ')}`);
  const ev = await benchPartnerEvents(databaseUrl, dossiers, concurrency, {
    processes: process.env.BENCH_PROCESSES === '1',
    via,
  });
  if (via !== 'http') console.error(`events sent through the ${via} (BENCH_EVENTS_VIA), not HTTP`);
  console.log(`events_dossiers: ${dossiers} dossiers`);
  console.log(`events_concurrency: ${concurrency} requests`);
  for (const [k, v] of Object.entries(ev)) {
    const unit = k.endsWith('_ms') ? 'ms' : k.endsWith('_per_s') ? '/s' : 's';
    console.log(`${k}: ${fmt(v)} ${unit}`);
  }
  const cpu = (name: string) =>
    ev[`${name}_cpu_node_ms`]! + ev[`${name}_cpu_temporal_ms`]! + ev[`${name}_cpu_postgres_ms`]!;
  console.log(`event_cpu_total_ms: ${fmt(cpu('event'))} ms`);
  console.log(`raw_update_cpu_total_ms: ${fmt(cpu('raw_update'))} ms`);
  console.log(`creation_ratio: ${(ev.creation_per_s! / ev.raw_start_per_s!).toFixed(2)}`);
  console.log(`event_ratio: ${(ev.event_per_s! / ev.raw_update_per_s!).toFixed(2)}`);
  console.log(`event_p99_ratio: ${(ev.event_p99_ms! / ev.raw_update_p99_ms!).toFixed(2)}`);
  // Split by what the event costs the engine: those that change the dossier's status (and its
  // search attribute) against raw Updates that set one; the others against plain raw Updates.
  const rateOf = (statusChange: boolean) => {
    const types = EVENT_TYPES.filter((t) => STATUS_CHANGES.has(t) === statusChange);
    return types.length / types.reduce((t, type) => t + 1 / ev[`event_${type.toLowerCase()}_per_s`]!, 0);
  };
  console.log(`event_status_change_ratio: ${(rateOf(true) / ev.raw_update_sa_per_s!).toFixed(2)}`);
  console.log(`event_no_status_change_ratio: ${(rateOf(false) / ev.raw_update_per_s!).toFixed(2)}`);
  // CPU per call, raw over ours: what the rate ratio tends to when every process shares the cores.
  console.log(`event_cpu_ratio: ${(cpu('raw_update') / cpu('event')).toFixed(2)}`);
  // The ceiling CONTRACT.md leaves on this server: the same mix sent as raw Updates, those that
  // change the status setting a search attribute as the contract's DossierStatus makes ours do.
  // No implementation that keeps the attribute passes it: a workflow and a read model that cost
  // nothing would reach it.
  const share = EVENT_TYPES.filter((t) => STATUS_CHANGES.has(t)).length / EVENT_TYPES.length;
  const ceiling = 1 / (share / ev.raw_update_sa_per_s! + (1 - share) / ev.raw_update_per_s!);
  console.log(`event_contract_ceiling_ratio: ${(ceiling / ev.raw_update_per_s!).toFixed(2)}`);
  console.log(`event_vs_contract_ceiling_ratio: ${(ev.event_per_s! / ceiling).toFixed(2)}`);
  // Where the server has cores of its own, its CPU per event bounds the rate: that mix's over ours.
  const serverCeiling =
    share * ev.raw_update_sa_cpu_temporal_ms! + (1 - share) * ev.raw_update_cpu_temporal_ms!;
  console.log(
    `event_temporal_cpu_vs_contract_ceiling_ratio: ${(serverCeiling / ev.event_cpu_temporal_ms!).toFixed(2)}`,
  );
}

if (runs('flux')) {
  // A partner file of 100,000 lines (2,000 quick): BENCH_FLUX_DOSSIERS x 5 lines.
  const dossiers = Number(process.env.BENCH_FLUX_DOSSIERS ?? (quick ? 400 : 20_000));
  const flux = await benchFlux(databaseUrl, dossiers);
  for (const [k, v] of Object.entries(flux)) {
    const unit = k.endsWith('_per_s') ? '/s' : k.endsWith('_s') || k.endsWith('_seconds') ? 's' : '';
    console.log(`${k}: ${fmt(v)}${unit ? ` ${unit}` : ''}`);
  }
  console.log(
    `flux_vs_raw_update_sa_ratio: ${(flux.flux_lines_per_s / flux.flux_raw_update_sa_per_s).toFixed(2)}`,
  );
}

if (runs('dsn')) {
  const lines = quick ? 100_000 : 1_000_000;
  const dsn = await benchDsnImport(databaseUrl, lines);
  console.log(`dsn_import_lines: ${dsn.dsn_import_lines} lines`);
  console.log(`dsn_import_time: ${fmt(dsn.dsn_import_seconds!)} s`);
  console.log(`dsn_import_rate: ${Math.round(dsn.dsn_import_lines_per_s!)} lines/s`);
  console.log(`dsn_raw_copy_time: ${fmt(dsn.dsn_raw_copy_seconds!)} s`);
  console.log(`dsn_raw_copy_rate: ${Math.round(dsn.dsn_raw_copy_lines_per_s!)} lines/s`);
  console.log(
    `dsn_import_ratio: ${(dsn.dsn_import_lines_per_s! / dsn.dsn_raw_copy_lines_per_s!).toFixed(2)}`,
  );
}

if (runs('read')) {
  const readTotal = quick ? 120_000 : 1_200_000;
  const exportLines = quick ? 100_000 : 1_000_000;
  const read = await benchReadModel(databaseUrl, readTotal, exportLines);
  console.log(`read_dossiers: ${readTotal} dossiers`);
  for (const [k, v] of Object.entries(read)) {
    const unit = k.endsWith('_ms') ? 'ms' : k.endsWith('_mb') ? 'MiB' : k.endsWith('_lines') ? 'lines' : 's';
    console.log(`${k}: ${fmt(v)} ${unit}`);
  }
  for (const name of [
    'list_filtered',
    'stats_by_status',
    'stats_by_financeur',
    'stats_insertion_m6_by_region',
    'stats_financements_by_financeur',
    'stats_couts_by_dispositif',
    'open_data',
  ]) {
    console.log(`${name}_ratio: ${(read[`${name}_p50_ms`]! / read[`${name}_raw_p50_ms`]!).toFixed(2)}`);
  }
  console.log(`export_ratio: ${(read.export_raw_copy_seconds! / read.export_seconds!).toFixed(2)}`);
}

if (runs('open')) {
  // BENCH_OPEN_DOSSIERS=n: another count (200 quick, 10,000 full).
  const open = await benchOpenDossiers(
    databaseUrl,
    Number(process.env.BENCH_OPEN_DOSSIERS ?? (quick ? 200 : 10_000)),
  );
  for (const [k, v] of Object.entries(open)) {
    const unit = k.endsWith('_mb')
      ? 'MiB'
      : k.endsWith('_ms')
        ? 'ms'
        : k.endsWith('_per_s')
          ? '/s'
          : k.endsWith('_s')
            ? 's'
            : k.includes('_kb_')
              ? 'KiB'
              : 'dossiers';
    console.log(`${k}: ${fmt(v)} ${unit}`);
  }
  const rss = Object.entries(open).filter(([k]) => k.startsWith('open_worker_rss_at_'));
  console.log(`open_worker_rss_growth_ratio: ${(rss[rss.length - 1]![1] / rss[0]![1]).toFixed(2)}`);
}

if (runs('cep')) {
  const cep = await benchCep(databaseUrl, {
    periods: quick ? 40 : 500,
    waiting: quick ? 200 : 10_000,
    concurrency: 20,
  });
  for (const [k, v] of Object.entries(cep)) {
    const unit = k.endsWith('_ms') ? 'ms' : k.endsWith('_per_s') ? '/s' : k.endsWith('_s') ? 's' : '';
    console.log(`${k}: ${fmt(v)}${unit ? ` ${unit}` : ''}`);
  }
  console.log(`cep_event_ratio: ${(cep.cep_event_per_s! / cep.cep_raw_update_per_s!).toFixed(2)}`);
  console.log(`cep_event_p99_ratio: ${(cep.cep_event_p99_ms! / cep.cep_raw_update_p99_ms!).toFixed(2)}`);
  // Woken and recorded (a look-up of the person's entries and a record written) against a bare signal.
  console.log(`cep_wake_ratio: ${(cep.cep_wake_per_s! / cep.cep_raw_signal_per_s!).toFixed(2)}`);
}

if (runs('feed')) {
  const feed = await benchChanges(databaseUrl, {
    total: quick ? 100_000 : 1_000_000,
    delivered: quick ? 2_000 : 20_000,
    lagEvents: quick ? 50 : 200,
  });
  for (const [k, v] of Object.entries(feed)) {
    const unit = k.endsWith('_ms') ? 'ms' : k.endsWith('_per_s') ? '/s' : k.endsWith('_s') ? 's' : '';
    console.log(`${k}: ${fmt(v)}${unit ? ` ${unit}` : ''}`);
  }
  console.log(
    `feed_first_page_p95_ratio: ${(feed.feed_first_page_p95_ms! / feed.feed_first_page_raw_p95_ms!).toFixed(2)}`,
  );
  console.log(
    `feed_next_page_p95_ratio: ${(feed.feed_next_page_p95_ms! / feed.feed_next_page_raw_p95_ms!).toFixed(2)}`,
  );
  console.log(
    `webhook_delivery_ratio: ${(feed.webhook_delivered_per_s! / feed.webhook_raw_post_per_s!).toFixed(2)}`,
  );
}

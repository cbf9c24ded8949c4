import { Migration } from '@mikro-orm/migrations';

/**
 * The record outlives the engine (CONTRACT.md). `dossier_events` is the ledger: every accepted
 * event of every dossier, appended by the projection's statement, keyed by (dossier, seq).
 * `dossier_ids` holds every dossierId ever created with its creation's identity, claimed before
 * the workflow starts, and kept after the retention purge (`purged_at`), so that an id is never reused.
 * `dossiers.closed_on` dates the retention purge.
 */
export class Migration20261202000000_ledger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table dossier_events (
        dossier_id varchar(64) not null,
        seq integer not null,
        event_id varchar(128) not null,
        body_hash varchar(64) not null,
        type varchar(16) not null,
        source varchar(14) not null,
        received_at timestamptz not null,
        entry jsonb not null,
        primary key (dossier_id, seq)
      );`);
    this.addSql(`create unique index dossier_events_event on dossier_events (dossier_id, event_id);`);
    // The anomaly report reads a day of arrivals (db/anomalies.ts).
    this.addSql(`create index dossier_events_received on dossier_events (received_at);`);
    this.addSql(`
      create table dossier_ids (
        dossier_id varchar(64) primary key,
        event_id varchar(128) not null,
        body_hash varchar(64) not null,
        created_at timestamptz not null default now(),
        purged_at timestamptz null
      );`);
    // Dossiers projected before the ledger: their creation's identity is in their workflow only
    // (an empty event_id tells the API to ask it).
    this.addSql(
      `insert into dossier_ids (dossier_id, event_id, body_hash) select dossier_id, '', '' from dossiers;`,
    );
    this.addSql(`alter table dossiers add column closed_on date;`);
    this.addSql(`update dossiers set closed_on = (data->'dates'->>'cloture')::date;`);
    this.addSql(`create index dossiers_closed_on on dossiers (closed_on) where closed_on is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists dossiers_closed_on;');
    this.addSql('alter table dossiers drop column if exists closed_on;');
    this.addSql('drop table if exists dossier_ids;');
    this.addSql('drop table if exists dossier_events;');
  }
}

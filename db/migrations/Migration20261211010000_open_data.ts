import { Migration } from '@mikro-orm/migrations';

/** The open data's published versions (CONTRACT.md, "Open data (no token)"): the latest is served. */
export class Migration20261211010000_open_data extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table open_data_snapshots (
        id bigserial primary key,
        generated_at timestamptz not null default now(),
        dossiers integer not null,
        lines jsonb not null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists open_data_snapshots;');
  }
}

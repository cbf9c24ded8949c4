import { Migration } from '@mikro-orm/migrations';

/** Server-side sessions (db/sessions.ts): the codec's sign-in, later the console's agents. */
export class Migration20261203000000_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sessions (
        id_hash varchar(64) primary key,
        kind varchar(16) not null,
        subject varchar(255) not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null
      );`);
    this.addSql(`create index sessions_expires on sessions (expires_at);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sessions;');
  }
}

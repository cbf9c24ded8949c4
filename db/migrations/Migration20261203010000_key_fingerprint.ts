import { Migration } from '@mikro-orm/migrations';

/**
 * The fingerprint of the NIR hash key: the read model's (`platform_settings`, written by the first
 * process that starts) and each DSN month's, so that a month hashed under another key is refused
 * at import and never read as "no job" at look-up. And the sweeper's attempts at each intent.
 */
export class Migration20261203010000_key_fingerprint extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table platform_settings (
        key varchar(64) primary key,
        value text not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`alter table dsn_months add column hash_key varchar(16) null;`);
    // The sweeper's failed attempts at an intent: past a few, the dossier is quarantined.
    this.addSql(`alter table projection_intents add column attempts integer not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table projection_intents drop column if exists attempts;');
    this.addSql('alter table dsn_months drop column if exists hash_key;');
    this.addSql('drop table if exists platform_settings;');
  }
}

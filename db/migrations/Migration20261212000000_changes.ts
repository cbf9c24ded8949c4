import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed (CONTRACT.md, "Change feed and webhooks"): one row per change of a dossier or a
 * CEP period, written in the statement that writes its record, with the parties that see it at
 * that version. Read in (transaction, id) order and only below the oldest transaction still
 * running, so that a reader never passes a change that commits later with a smaller id.
 */
export class Migration20261212000000_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table changes (
        id bigserial primary key,
        tx xid8 not null default pg_current_xact_id(),
        kind varchar(8) not null,
        entity_id varchar(64) not null,
        version integer not null,
        type varchar(32) not null,
        date date null,
        received_at timestamptz not null,
        source varchar(32) not null,
        organisme_siret varchar(14) null,
        financeur_sirets varchar(14)[] not null default '{}',
        region varchar(2) null,
        remunerateur_siret varchar(14) null,
        operateur_siret varchar(14) null
      );`);
    this.addSql(`create index changes_order on changes (tx, id);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists changes;');
  }
}

import { Migration } from '@mikro-orm/migrations';

/** The ids of the CEP periods whose record was deleted at the end of its retention: never reused. */
export class Migration20261209000000_cep_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table cep_purged_ids (
        periode_id varchar(64) primary key,
        purged_at timestamptz not null default now()
      );`);
    this.addSql(
      `create index cep_periodes_closed_on on cep_periodes (closed_on) where closed_on is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists cep_periodes_closed_on;');
    this.addSql('drop table if exists cep_purged_ids;');
  }
}

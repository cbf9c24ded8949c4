import { Migration } from '@mikro-orm/migrations';

/**
 * The CEP periods' follow-up after closure: which periods wait on (or used) each DSN month, so
 * that a month's load wakes them as it wakes dossiers.
 */
export class Migration20261208000000_cep_follow_up extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table cep_dsn_months (
        mois varchar(7) not null,
        periode_id varchar(64) not null,
        primary key (mois, periode_id)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists cep_dsn_months;');
  }
}

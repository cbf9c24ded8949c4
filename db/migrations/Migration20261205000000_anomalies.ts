import { Migration } from '@mikro-orm/migrations';

/** The daily anomaly report (db/anomalies.ts): each partner at or over a rule's threshold. */
export class Migration20261205000000_anomalies extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table anomalies (
        day date not null,
        partner_siret varchar(14) not null,
        rule varchar(32) not null,
        count integer not null,
        threshold integer not null,
        created_at timestamptz not null default now(),
        primary key (day, partner_siret, rule)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists anomalies;');
  }
}

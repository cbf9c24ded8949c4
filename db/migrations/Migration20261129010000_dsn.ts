import { Migration } from '@mikro-orm/migrations';

/**
 * DSN months: one partition of dsn_lines per month, swapped in whole by an import, keyed by a keyed
 * hash of the NIR (never the NIR); and the months each dossier waits on or used, to wake it.
 */
export class Migration20261129010000_dsn extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create sequence dsn_load_version_seq;`);
    this.addSql(`
      create table dsn_months (
        mois varchar(7) primary key,
        version bigint not null,
        lignes integer not null,
        partition_name text not null,
        loaded_at timestamptz not null
      );`);
    this.addSql(`
      create table dsn_lines (
        mois varchar(7) not null,
        nir_hash bytea not null,
        siret varchar(14) not null,
        naf varchar(5) not null,
        nature varchar(2) not null,
        date_debut date not null,
        date_fin date null,
        heures numeric(9,2) not null
      ) partition by list (mois);`);
    this.addSql(`
      create table dossier_dsn_months (
        mois varchar(7) not null,
        dossier_id varchar(64) not null,
        primary key (mois, dossier_id)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists dossier_dsn_months;');
    this.addSql('drop table if exists dsn_lines;');
    this.addSql('drop table if exists dsn_months;');
    this.addSql('drop sequence if exists dsn_load_version_seq;');
  }
}

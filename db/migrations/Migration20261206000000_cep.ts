import { Migration } from '@mikro-orm/migrations';

/**
 * CEP periods' record (CONTRACT.md, "CEP periods"): each period's last state (its NIR sealed
 * apart, with its keyed hash to find a person's periods) and its ledger of accepted events.
 */
export class Migration20261206000000_cep extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table cep_periodes (
        periode_id varchar(64) primary key,
        version integer not null,
        statut varchar(16) not null,
        operateur_siret varchar(14) not null,
        region varchar(2) not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        data jsonb not null,
        nir_hash bytea not null,
        nir_sealed bytea not null,
        closed_on date null
      );`);
    this.addSql(
      `create index cep_periodes_operateur on cep_periodes (operateur_siret, created_at desc, periode_id);`,
    );
    this.addSql(`create index cep_periodes_nir on cep_periodes (nir_hash);`);
    this.addSql(`
      create table cep_events (
        periode_id varchar(64) not null,
        seq integer not null,
        event_id varchar(128) not null,
        body_hash varchar(64) not null,
        entry jsonb not null,
        primary key (periode_id, seq)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists cep_events;');
    this.addSql('drop table if exists cep_periodes;');
  }
}

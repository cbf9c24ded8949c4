import { Migration } from '@mikro-orm/migrations';

/** Partners, the dossier read model and the data-quality log. */
export class Migration20261129000000_init extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table partners (
        id uuid primary key,
        siret varchar(14) not null unique,
        name varchar(255) not null,
        kind varchar(32) not null,
        region varchar(2) null,
        token_hash varchar(64) not null unique,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table dossiers (
        dossier_id varchar(64) primary key,
        version integer not null,
        status varchar(32) not null,
        interrompu boolean not null,
        issue varchar(32) null,
        organisme_siret varchar(14) not null,
        financeur_sirets varchar(14)[] not null,
        region varchar(2) not null,
        dispositif varchar(64) not null,
        objectif varchar(64) not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        data jsonb not null
      );`);
    this.addSql(`create index dossiers_newest on dossiers (created_at desc, dossier_id desc);`);
    this.addSql(`create index dossiers_financeurs on dossiers using gin (financeur_sirets);`);
    this.addSql(
      `create index dossiers_organisme on dossiers (organisme_siret, created_at desc, dossier_id desc);`,
    );
    this.addSql(`create index dossiers_region on dossiers (region, created_at desc, dossier_id desc);`);
    this.addSql(`create index dossiers_status on dossiers (status, created_at desc, dossier_id desc);`);
    this.addSql(`
      create table rejections (
        id bigserial primary key,
        partner_siret varchar(14) not null,
        dossier_id varchar(64) null,
        event_id varchar(128) null,
        event_type varchar(32) null,
        code varchar(32) not null,
        message text not null,
        at timestamptz not null default now()
      );`);
    this.addSql(`create index rejections_partner_at on rejections (partner_siret, at);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists rejections;');
    this.addSql('drop table if exists dossiers;');
    this.addSql('drop table if exists partners;');
  }
}

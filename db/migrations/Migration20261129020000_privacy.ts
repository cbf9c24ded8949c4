import { Migration } from '@mikro-orm/migrations';

/** The NIR in the read model (sealed, plus its keyed hash for searches) and the access audit. */
export class Migration20261129020000_privacy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table dossiers add column nir_hash bytea null, add column nir_sealed bytea null;`);
    this.addSql(`create index dossiers_nir_hash on dossiers (nir_hash);`);
    this.addSql(`
      create table access_audit (
        id bigserial primary key,
        at timestamptz not null default now(),
        actor varchar(64) not null,
        actor_siret varchar(14) null,
        action varchar(32) not null,
        dossier_id varchar(64) null,
        detail jsonb null
      );`);
    this.addSql(`create index access_audit_at on access_audit (at);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists access_audit;');
    this.addSql('drop index if exists dossiers_nir_hash;');
    this.addSql('alter table dossiers drop column if exists nir_hash, drop column if exists nir_sealed;');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Webhooks (CONTRACT.md, "Change feed and webhooks"): one subscription per partner, its secret
 * sealed with the data key, the feed position it has acknowledged, and its recent attempts.
 */
export class Migration20261213000000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhooks (
        id uuid primary key,
        partner_id uuid not null unique references partners (id) on delete cascade,
        url varchar(2048) not null,
        events varchar(32)[] null,
        secret_sealed bytea not null,
        actif boolean not null default true,
        motif_desactivation varchar(32) null,
        cursor varchar(200) null,
        echecs integer not null default 0,
        en_echec_depuis timestamptz null,
        dernier_acquittement timestamptz null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`
      create table webhook_deliveries (
        id bigserial primary key,
        webhook_id uuid not null references webhooks (id) on delete cascade,
        at timestamptz not null,
        status integer null,
        duration_ms integer not null,
        items integer not null,
        error varchar(500) null
      );`);
    this.addSql(`create index webhook_deliveries_recent on webhook_deliveries (webhook_id, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_deliveries;');
    this.addSql('drop table if exists webhooks;');
  }
}

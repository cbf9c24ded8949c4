import { Migration } from '@mikro-orm/migrations';

/**
 * Console agents (CONTRACT.md, "Console sign-in (agents)"): the persons who sign in to the
 * console for a partner, created by the admin, their password kept as a scrypt hash only.
 */
export class Migration20261214000000_agents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table agents (
        id uuid primary key,
        email varchar(254) not null unique,
        partner_id uuid not null references partners (id) on delete cascade,
        nom varchar(100) null,
        prenom varchar(100) null,
        password_hash varchar(200) not null,
        created_at timestamptz not null default now(),
        disabled_at timestamptz null
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists agents;');
  }
}

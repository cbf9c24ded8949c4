import { Migration } from '@mikro-orm/migrations';

/** Several live tokens per partner, each revocable, with its last use. */
export class Migration20261129030000_tokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table partner_tokens (
        id uuid primary key,
        partner_id uuid not null references partners (id) on delete cascade,
        token_hash varchar(64) not null unique,
        created_at timestamptz not null default now(),
        revoked_at timestamptz null,
        last_used_at timestamptz null
      );`);
    this.addSql(`create index partner_tokens_partner on partner_tokens (partner_id);`);
    this.addSql(`
      insert into partner_tokens (id, partner_id, token_hash, created_at)
      select gen_random_uuid(), id, token_hash, created_at from partners where token_hash is not null;`);
    this.addSql(`alter table partners drop column token_hash;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table partners add column token_hash varchar(64) null;`);
    this
      .addSql(`update partners p set token_hash = (select token_hash from partner_tokens t where t.partner_id = p.id
                   and t.revoked_at is null order by created_at limit 1);`);
    this.addSql('drop table if exists partner_tokens;');
  }
}

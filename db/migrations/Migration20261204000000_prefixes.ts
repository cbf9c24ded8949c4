import { Migration } from '@mikro-orm/migrations';

/** The dossierId prefixes each partner owns (CONTRACT.md): no one else creates ids under them. */
export class Migration20261204000000_prefixes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table partners add column prefixes varchar(32)[] not null default '{}';`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table partners drop column if exists prefixes;');
  }
}

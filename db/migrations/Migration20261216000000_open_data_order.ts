import { Migration } from '@mikro-orm/migrations';

/** The open data's lines kept as json, not jsonb: each line keeps its fields in the CSV's order. */
export class Migration20261216000000_open_data_order extends Migration {
  override async up(): Promise<void> {
    // jsonb has no order to give back: the versions kept are dropped, the next request computes one.
    this.addSql('delete from open_data_snapshots;');
    this.addSql('alter table open_data_snapshots alter column lines type json using lines::json;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table open_data_snapshots alter column lines type jsonb using lines::jsonb;');
  }
}

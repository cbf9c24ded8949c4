import { Migration } from '@mikro-orm/migrations';

/**
 * One row of the change feed per version of a dossier or a CEP period. Two writers of one record
 * (the workflow and the API, or a retried write) may each publish a version the platform recorded
 * on its own; the second insert now finds it there and does nothing (db/dossier-read-model.ts,
 * db/cep-record.ts). A row already doubled keeps its first.
 */
export class Migration20261222000000_changes_version extends Migration {
  override async up(): Promise<void> {
    this.addSql(`delete from changes a using changes b
      where a.kind = b.kind and a.entity_id = b.entity_id and a.version = b.version and a.id > b.id;`);
    this.addSql('create unique index changes_version on changes (kind, entity_id, version);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists changes_version;');
  }
}

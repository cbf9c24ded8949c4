import { Migration } from '@mikro-orm/migrations';

/**
 * The API projects the state an accepted event answers. Before it sends the event to the
 * workflow it writes an intent here, and removes it in the projection's statement; an intent
 * left behind (a process that died in between, the database gone for a while) is projected by
 * the workers' sweeper from the workflow's state (db/projection-intents.ts). The facts row gets
 * its own version so that the projection is one statement with both rows guarded alike.
 */
export class Migration20261201000000_projection_intents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table projection_intents (
        id uuid primary key,
        dossier_id varchar(64) not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index projection_intents_created on projection_intents (created_at);`);
    this.addSql(`alter table dossier_facts add column version integer not null default 0;`);
    this.addSql(
      `update dossier_facts f set version = d.version from dossiers d where d.dossier_id = f.dossier_id;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table dossier_facts drop column version;');
    this.addSql('drop table if exists projection_intents;');
  }
}

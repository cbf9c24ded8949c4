import { Migration } from '@mikro-orm/migrations';

/**
 * What links CEP periods to others' and to dossiers, found without scanning: the periods that
 * continue one, the dossiers naming its prescriptions; the platform's list of every period; and a
 * period's refused events in the data-quality log; a CEP operator's network.
 */
export class Migration20261207000000_cep_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index cep_periodes_precedente on cep_periodes ((data->>'periodePrecedente')) where data ? 'periodePrecedente';`,
    );
    this.addSql(`create index cep_periodes_newest on cep_periodes (created_at desc, periode_id desc);`);
    this.addSql(
      `create index dossiers_prescription on dossiers ((data->'prescription'->>'periodeId')) where data ? 'prescription';`,
    );
    this.addSql(`alter table rejections add column periode_id varchar(128) null;`);
    this.addSql(`alter table partners add column reseau varchar(32) null;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table partners drop column if exists reseau;');
    this.addSql('alter table rejections drop column if exists periode_id;');
    this.addSql('drop index if exists dossiers_prescription;');
    this.addSql('drop index if exists cep_periodes_newest;');
    this.addSql('drop index if exists cep_periodes_precedente;');
  }
}

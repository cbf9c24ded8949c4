import { Migration } from '@mikro-orm/migrations';

/**
 * Partner files (`POST /v1/flux`): the file's lines, sealed (they carry NIRs and names), until the
 * file has run, and each line's answer. `cle` is the dossier or CEP period a line concerns (the
 * lines of one run in file order), `lot` the share of the file one activity runs.
 */
export class Migration20261219000000_flux extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table flux (
        flux_id text primary key,
        sender text not null,
        actor jsonb not null,
        lignes int not null,
        lots int not null,
        traitees int not null default 0,
        acceptees int not null default 0,
        refusees int not null default 0,
        debut timestamptz not null default now(),
        fin timestamptz
      );`);
    this.addSql(`
      create table flux_lignes (
        flux_id text not null references flux (flux_id) on delete cascade,
        ligne int not null,
        lot int not null,
        cle text not null,
        contenu bytea,
        status smallint,
        code text,
        message text,
        objet text,
        primary key (flux_id, ligne)
      );`);
    this.addSql('create index flux_lignes_todo on flux_lignes (flux_id, lot, ligne) where status is null;');
    this.addSql('create index flux_lignes_refused on flux_lignes (flux_id, ligne) where status >= 400;');
    this.addSql('create index flux_sender on flux (sender, debut);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists flux_lignes;');
    this.addSql('drop table if exists flux;');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Search by name and by the start of a dossier id (the console's search box). The trainee's name
 * is already in the read model (its `data`, what a partner reads); the index keeps its normalised
 * form (upper case, no accents, letters only) so that "Lefèvre", "LEFEVRE" and "le fèvre" meet,
 * and a prefix finds it ("lefe"). No second copy of any identifier: the NIR stays a keyed hash.
 */
export class Migration20261218000000_name_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function agora_nom_norm(text) returns text language sql immutable parallel safe as $$
        select upper(regexp_replace(translate($1,
          'àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ',
          'aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYYOA'), '[^A-Za-z]', '', 'g'))
      $$;`);
    this.addSql(
      `create index dossiers_nom_norm on dossiers (agora_nom_norm(data->'stagiaire'->>'nom') text_pattern_ops);`,
    );
    this.addSql(`create index dossiers_id_prefix on dossiers (dossier_id text_pattern_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists dossiers_id_prefix;');
    this.addSql('drop index if exists dossiers_nom_norm;');
    this.addSql('drop function if exists agora_nom_norm(text);');
  }
}

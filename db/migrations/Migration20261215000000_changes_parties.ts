import { Migration } from '@mikro-orm/migrations';

/**
 * The change feed read by party: a partner's page finds its rows through the index of its party
 * (organisme, financeur, region, remunerator, CEP operator) instead of scanning everyone's; a
 * partner that sees none of the rows gets its empty page at once (PERFORMANCE.md).
 */
export class Migration20261215000000_changes_parties extends Migration {
  override async up(): Promise<void> {
    for (const col of ['organisme_siret', 'region', 'remunerateur_siret', 'operateur_siret']) {
      this.addSql(`create index changes_by_${col} on changes (${col}, tx, id) where ${col} is not null;`);
    }
    this.addSql(`create index changes_by_financeur on changes using gin (financeur_sirets);`);
  }

  override async down(): Promise<void> {
    for (const col of ['organisme_siret', 'region', 'remunerateur_siret', 'operateur_siret'])
      this.addSql(`drop index if exists changes_by_${col};`);
    this.addSql('drop index if exists changes_by_financeur;');
  }
}

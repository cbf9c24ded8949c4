import { Migration } from '@mikro-orm/migrations';

/**
 * The month's wake-up writes the situations a load gives, set-based, before the dossiers'
 * workflows take the load (activities/month-wake.ts): `pending_load` is that load while the
 * workflow has not taken it, `{mois, version, base, today, at}`. A projection of a state that
 * has not taken it is held back (db/dossier-read-model.ts), so the record never goes back.
 */
export class Migration20261220000000_pending_load extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table dossiers add column pending_load jsonb null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table dossiers drop column pending_load;');
  }
}

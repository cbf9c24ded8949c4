import { Migration } from '@mikro-orm/migrations';

/**
 * Piloting (CONTRACT.md, "Indicators and exports"): the facts the new groups and the costs read,
 * backfilled from the read model.
 */
export class Migration20261211000000_piloting extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table dossier_facts
        add column qpv boolean null,
        add column duree_heures numeric(10, 2) null,
        add column heures_realisees numeric(10, 2) null;`);
    this.addSql(`
      update dossier_facts f set qpv = (d.data->'action'->>'qpv')::boolean,
        duree_heures = (d.data->'action'->>'dureeHeures')::numeric,
        heures_realisees = (d.data->'sortie'->>'heuresRealisees')::numeric
      from dossiers d where d.dossier_id = f.dossier_id;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      'alter table dossier_facts drop column if exists qpv, drop column if exists duree_heures, drop column if exists heures_realisees;',
    );
  }
}

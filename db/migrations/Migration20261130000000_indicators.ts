import { Migration } from '@mikro-orm/migrations';

const situation = (point: string) => `coalesce((
  select case when s->>'statut' = 'EMPLOI' then s->'meilleurEmploi'->>'categorie' else s->>'statut' end
    from jsonb_array_elements(d.data->'situations') s where s->>'point' = '${point}'), 'EN_ATTENTE')`;
const durable = (point: string) => `(
  select (s->'meilleurEmploi'->>'emploiDurable')::boolean
    from jsonb_array_elements(d.data->'situations') s where s->>'point' = '${point}')`;
const multi = (point: string) => `(
  select (s->>'multiEmploi')::boolean
    from jsonb_array_elements(d.data->'situations') s where s->>'point' = '${point}')`;

/**
 * Indicators: one narrow row of facts per dossier (what the stats and the regional file read,
 * without the wide JSON view), the amounts engaged and realised in arrays aligned with
 * `financeur_sirets`. Written with the read model, in its transaction; existing dossiers are
 * backfilled here.
 */
export class Migration20261130000000_indicators extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table dossier_facts (
        dossier_id varchar(64) primary key references dossiers (dossier_id) on delete cascade,
        status varchar(32) not null,
        issue varchar(32) null,
        organisme_siret varchar(14) not null,
        financeur_sirets varchar(14)[] not null,
        region varchar(2) not null,
        departement varchar(3) null,
        dispositif varchar(64) not null,
        objectif varchar(64) not null,
        date_entree date null,
        date_sortie date null,
        motif_sortie varchar(32) null,
        sit_validation varchar(16) not null,
        sit_entree varchar(16) not null,
        sit_sortie varchar(16) not null,
        sit_m3 varchar(16) not null,
        sit_m6 varchar(16) not null,
        sit_m12 varchar(16) not null,
        durable_m3 boolean null,
        durable_m6 boolean null,
        durable_m12 boolean null,
        multi_m3 boolean null,
        multi_m6 boolean null,
        multi_m12 boolean null,
        montants_engages numeric(14, 2)[] not null,
        montants_realises numeric(14, 2)[] not null,
        nir_hash bytea null
      );`);
    this.addSql(`create index dossier_facts_region on dossier_facts (region, dossier_id);`);
    this.addSql(`create index dossier_facts_organisme on dossier_facts (organisme_siret);`);
    this.addSql(`create index dossier_facts_financeurs on dossier_facts using gin (financeur_sirets);`);
    this.addSql(`create index dossier_facts_dispositif on dossier_facts (dispositif);`);
    this.addSql(`
      insert into dossier_facts
      select d.dossier_id, d.status, d.issue, d.organisme_siret, d.financeur_sirets, d.region,
        d.data->'action'->>'departement', d.dispositif, d.objectif,
        (d.data->'dates'->>'entree')::date, (d.data->'dates'->>'sortie')::date,
        d.data->'sortie'->>'motif',
        ${situation('VALIDATION')}, ${situation('ENTREE')}, ${situation('SORTIE')},
        ${situation('M3')}, ${situation('M6')}, ${situation('M12')},
        ${durable('M3')}, ${durable('M6')}, ${durable('M12')},
        ${multi('M3')}, ${multi('M6')}, ${multi('M12')},
        array(select (f->>'montantEngage')::numeric from jsonb_array_elements(d.data->'financements') with ordinality x(f, n) order by n),
        array(select (f->>'montantRealise')::numeric from jsonb_array_elements(d.data->'financements') with ordinality x(f, n) order by n),
        d.nir_hash
      from dossiers d;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists dossier_facts;');
  }
}

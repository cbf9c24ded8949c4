import { Migration } from '@mikro-orm/migrations';

/**
 * Certification results and trainee remuneration (CONTRACT.md): who pays a trainee sees its dossier
 * (`remunerateur_siret`, in the read model and the facts); the facts carry the certification the
 * indicators count; the results certifiers sent, attached or waiting for their dossier; the RNCP/RS
 * referential of France compétences, replaced as a whole by each import.
 */
export class Migration20261210000000_certification extends Migration {
  override async up(): Promise<void> {
    // REMUNERATION_PAIEMENT: the ledger's type column takes the longest event type.
    this.addSql(`alter table dossier_events alter column type type varchar(32);`);
    this.addSql(`alter table dossiers add column remunerateur_siret varchar(14) null;`);
    this.addSql(
      `create index dossiers_remunerateur on dossiers (remunerateur_siret, created_at desc, dossier_id desc) where remunerateur_siret is not null;`,
    );
    this.addSql(`
      alter table dossier_facts
        add column remunerateur_siret varchar(14) null,
        add column nsf varchar(16) null,
        add column certification varchar(64) null,
        add column cert_statut varchar(20) null;`);
    this.addSql(`
      update dossier_facts f set nsf = d.data->'action'->>'nsf',
        certification = coalesce(d.data->'certification'->>'code', d.data->'action'->>'certification'),
        cert_statut = coalesce(d.data->'certification'->>'statut',
          case when d.data->'action'->>'certification' is not null then 'EN_ATTENTE' end)
      from dossiers d where d.dossier_id = f.dossier_id;`);
    this.addSql(`
      create table certification_results (
        certificateur_siret varchar(14) not null,
        resultat_id varchar(128) not null,
        body_hash varchar(64) not null,
        statut varchar(16) not null,
        dossier_id varchar(64) null,
        certification varchar(16) not null,
        date_obtention date not null,
        nir_hash bytea null,
        result jsonb not null,
        received_at timestamptz not null default now(),
        attached_at timestamptz null,
        primary key (certificateur_siret, resultat_id)
      );`);
    // The results a new dossier may take: by the trainee and the certification, without scanning.
    this.addSql(
      `create index certification_results_waiting on certification_results (nir_hash, certification) where statut = 'NON_RAPPROCHE';`,
    );
    this.addSql(
      `create index certification_results_certifier on certification_results (certificateur_siret, statut, received_at desc, resultat_id desc);`,
    );
    this.addSql(`
      create table referentiel_fiches (
        numero_fiche varchar(16) primary key,
        intitule text not null,
        niveau varchar(32) null,
        actif boolean not null
      );`);
    this.addSql(`
      create table referentiel_nsf (
        numero_fiche varchar(16) not null,
        nsf_code varchar(16) not null,
        nsf_intitule text not null,
        primary key (numero_fiche, nsf_code)
      );`);
    this.addSql(`
      create table referentiel_blocs (
        bloc_code varchar(24) primary key,
        numero_fiche varchar(16) not null,
        libelle text not null
      );`);
    this.addSql(`
      create table referentiel_certificateurs (
        numero_fiche varchar(16) not null,
        siret varchar(14) not null,
        nom text not null,
        primary key (numero_fiche, siret)
      );`);
    this.addSql(`
      create table referentiel_imports (
        id bigserial primary key,
        source text not null,
        fiches integer not null,
        blocs integer not null,
        certificateurs integer not null,
        nsf integer not null,
        rejets integer not null,
        loaded_at timestamptz not null default now()
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists referentiel_imports;');
    this.addSql('drop table if exists referentiel_certificateurs;');
    this.addSql('drop table if exists referentiel_blocs;');
    this.addSql('drop table if exists referentiel_nsf;');
    this.addSql('drop table if exists referentiel_fiches;');
    this.addSql('drop table if exists certification_results;');
    this.addSql(
      'alter table dossier_facts drop column if exists cert_statut, drop column if exists certification, drop column if exists nsf, drop column if exists remunerateur_siret;',
    );
    this.addSql('drop index if exists dossiers_remunerateur;');
    this.addSql('alter table dossiers drop column if exists remunerateur_siret;');
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * Agents' console sessions (CONTRACT.md, "Console sign-in (agents)"): a session has an idle expiry
 * (`expires_at`, pushed back on each page) under an absolute one, and what it is for (`data`:
 * the agent and its partner, or the admin). The access audit names the agent. The embedded
 * OpenID provider keeps its sessions, codes and grants in `oidc_payloads`, shared by every API
 * instance.
 */
export class Migration20261217000000_console_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table sessions add column absolute_expires_at timestamptz null, add column data jsonb null;`,
    );
    this.addSql(`alter table access_audit add column agent varchar(254) null;`);
    this.addSql(`create index access_audit_agent on access_audit (agent) where agent is not null;`);
    this.addSql(`
      create table oidc_payloads (
        model varchar(40) not null,
        id varchar(255) not null,
        payload jsonb not null,
        grant_id varchar(255) null,
        uid varchar(255) null,
        user_code varchar(255) null,
        expires_at timestamptz null,
        consumed_at timestamptz null,
        primary key (model, id)
      );`);
    this.addSql(`create index oidc_payloads_grant on oidc_payloads (grant_id) where grant_id is not null;`);
    this.addSql(`create index oidc_payloads_uid on oidc_payloads (uid) where uid is not null;`);
    this.addSql(`create index oidc_payloads_expires on oidc_payloads (expires_at);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists oidc_payloads;');
    this.addSql('alter table access_audit drop column if exists agent;');
    this.addSql(
      'alter table sessions drop column if exists absolute_expires_at, drop column if exists data;',
    );
  }
}

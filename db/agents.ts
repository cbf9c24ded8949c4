import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Console agents (CONTRACT.md, "Console sign-in (agents)"): a person who acts for a partner (the
 * partner whose SIRET the admin gave). Their email and names are personal data: never logged.
 */
export interface AgentRow {
  id: string;
  email: string;
  partnerId: string;
  partnerSiret: string;
  nom: string | null;
  prenom: string | null;
  passwordHash: string;
  createdAt: Date;
  disabledAt: Date | null;
}

export class AgentExistsError extends Error {}
export class UnknownPartnerError extends Error {}

/** A new agent of the partner with that SIRET; emails are compared in lower case. */
export async function createAgent(
  em: EntityManager,
  a: {
    email: string;
    siret: string;
    nom?: string | undefined;
    prenom?: string | undefined;
    passwordHash: string;
  },
): Promise<AgentRow> {
  const conn = em.getConnection();
  const [partner] = await conn.execute<{ id: string }[]>('select id from partners where siret = ?', [
    a.siret,
  ]);
  if (!partner) throw new UnknownPartnerError(a.siret);
  const rows = await conn.execute<{ id: string; created_at: Date }[]>(
    `insert into agents (id, email, partner_id, nom, prenom, password_hash)
     values (?, ?, ?, ?, ?, ?) on conflict (email) do nothing returning id, created_at`,
    [randomUUID(), a.email.toLowerCase(), partner.id, a.nom ?? null, a.prenom ?? null, a.passwordHash],
  );
  if (!rows[0]) throw new AgentExistsError(a.email);
  return {
    id: rows[0].id,
    email: a.email.toLowerCase(),
    partnerId: partner.id,
    partnerSiret: a.siret,
    nom: a.nom ?? null,
    prenom: a.prenom ?? null,
    passwordHash: a.passwordHash,
    createdAt: rows[0].created_at,
    disabledAt: null,
  };
}

/** Disable an agent (its sessions end at their next request); false: no such agent. */
export async function disableAgent(em: EntityManager, id: string): Promise<boolean> {
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>(
      'update agents set disabled_at = coalesce(disabled_at, now()) where id = ?::uuid returning id',
      [id],
    );
  return rows.length > 0;
}

/** An enabled agent by email (sign-in), with its partner's SIRET. */
export async function findAgentByEmail(em: EntityManager, email: string): Promise<AgentRow | null> {
  const [r] = await em.getConnection().execute<
    {
      id: string;
      email: string;
      partner_id: string;
      siret: string;
      nom: string | null;
      prenom: string | null;
      password_hash: string;
      created_at: Date;
      disabled_at: Date | null;
    }[]
  >(
    `select a.id, a.email, a.partner_id, p.siret, a.nom, a.prenom, a.password_hash, a.created_at, a.disabled_at
       from agents a join partners p on p.id = a.partner_id
      where a.email = ? and a.disabled_at is null`,
    [email.toLowerCase()],
  );
  return r
    ? {
        id: r.id,
        email: r.email,
        partnerId: r.partner_id,
        partnerSiret: r.siret,
        nom: r.nom,
        prenom: r.prenom,
        passwordHash: r.password_hash,
        createdAt: r.created_at,
        disabledAt: r.disabled_at,
      }
    : null;
}

/** An enabled agent by id (the embedded provider's account), with its partner's SIRET. */
export async function findAgentById(em: EntityManager, id: string): Promise<AgentRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const [r] = await em
    .getConnection()
    .execute<{ email: string }[]>('select email from agents where id = ?::uuid and disabled_at is null', [
      id,
    ]);
  return r ? findAgentByEmail(em, r.email) : null;
}

/** Every agent, newest first (the admin's list: never logged, personal data). */
export async function listAgents(em: EntityManager) {
  const rows = await em.getConnection().execute<
    {
      id: string;
      email: string;
      siret: string;
      nom: string | null;
      prenom: string | null;
      created_at: Date;
      disabled_at: Date | null;
    }[]
  >(
    `select a.id, a.email, p.siret, a.nom, a.prenom, a.created_at, a.disabled_at
       from agents a join partners p on p.id = a.partner_id order by a.created_at desc, a.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    siret: r.siret,
    nom: r.nom,
    prenom: r.prenom,
    creeLe: new Date(r.created_at).toISOString(),
    actif: r.disabled_at === null,
  }));
}

/** A new password for an agent (enabled again); null: no such agent. */
export async function resetAgentPassword(
  em: EntityManager,
  id: string,
  passwordHash: string,
): Promise<{ id: string; email: string } | null> {
  const rows = await em
    .getConnection()
    .execute<{ id: string; email: string }[]>(
      'update agents set password_hash = ?, disabled_at = null where id = ?::uuid returning id, email',
      [passwordHash, id],
    );
  return rows[0] ?? null;
}

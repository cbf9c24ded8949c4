import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { PartnerKind } from '../domain/code-lists';
import { FUNDING_KINDS } from '../domain/code-lists';
import type { CreatePartnerBody } from '../domain/schemas';
import { sha256Hex } from '../infra/canonical-hash';
import { Partner } from './entities';

export interface TokenRecord {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface PartnerRecord {
  id: string;
  siret: string;
  name: string;
  kind: PartnerKind;
  region: string | null;
  /** A CEP operator's network. */
  reseau: string | null;
  createdAt: Date;
}

/** A new API token: shown once, stored only as its SHA-256. */
export function newToken(): { token: string; hash: string } {
  const token = `agp_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256Hex(token) };
}

export class PartnerExistsError extends Error {}
/** A prefix asked for overlaps one another partner owns. */
export class PrefixTakenError extends Error {
  constructor(
    /** The prefix asked for. */
    readonly prefix: string,
    /** The one of the other partner's it overlaps. */
    readonly overlaps: string,
    readonly owner: string,
  ) {
    super(`the prefix ${prefix} overlaps ${overlaps}, partner ${owner}'s`);
  }
}

async function insertToken(
  em: EntityManager,
  partnerId: string,
): Promise<{ tokenId: string; token: string }> {
  const { token, hash } = newToken();
  const tokenId = randomUUID();
  // In the caller's transaction when there is one (a new partner's row is not committed yet).
  await em
    .getConnection()
    .execute(
      'insert into partner_tokens (id, partner_id, token_hash) values (?, ?, ?)',
      [tokenId, partnerId, hash],
      'run',
      em.getTransactionContext(),
    );
  return { tokenId, token };
}

export async function createPartner(
  em: EntityManager,
  body: CreatePartnerBody,
): Promise<{ partner: PartnerRecord & { prefixes: string[] }; token: string; tokenId: string }> {
  return em.transactional(async (tx) => {
    const partner = tx.create(Partner, {
      id: randomUUID(),
      siret: body.siret,
      name: body.name,
      kind: body.kind,
      region: body.region ?? null,
      reseau: body.reseau ?? null,
      createdAt: new Date(),
    });
    try {
      await tx.flush();
    } catch (e) {
      if (e instanceof UniqueConstraintViolationException) throw new PartnerExistsError(body.siret);
      throw e;
    }
    if (body.prefixes?.length) {
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const wanted = `{${body.prefixes.join(',')}}`;
      const [taken] = await conn.execute<{ siret: string; prefix: string; wanted: string }[]>(
        `select pa.siret, pr as prefix, n as wanted from partners pa, unnest(pa.prefixes) pr,
                unnest(?::varchar[]) n
          where pa.id <> ? and (starts_with(n, pr) or starts_with(pr, n))
          limit 1`,
        [wanted, partner.id],
        'all',
        ctx,
      );
      if (taken) throw new PrefixTakenError(taken.wanted, taken.prefix, taken.siret);
      await conn.execute(
        'update partners set prefixes = ?::varchar[] where id = ?',
        [wanted, partner.id],
        'run',
        ctx,
      );
    }
    const { token, tokenId } = await insertToken(tx, partner.id);
    return { partner: { ...toRecord(partner), prefixes: body.prefixes ?? [] }, token, tokenId };
  });
}

/** Another live token for the partner (rotation: revoke the old one once the new one is deployed). */
export async function addToken(
  em: EntityManager,
  partnerId: string,
): Promise<{ tokenId: string; token: string } | null> {
  const partner = await em.findOne(Partner, { id: partnerId });
  if (!partner) return null;
  return insertToken(em, partnerId);
}

/** Revoke a token; false when the partner has no such token. */
export async function revokeToken(em: EntityManager, partnerId: string, tokenId: string): Promise<boolean> {
  const res = await em
    .getConnection()
    .execute<{ id: string }[]>(
      'update partner_tokens set revoked_at = coalesce(revoked_at, now()) where partner_id = ? and id = ? returning id',
      [partnerId, tokenId],
    );
  return res.length > 0;
}

/** The partner of a live token, and the token's id; the last use is stamped at most once a minute. */
export async function findPartnerByTokenHash(
  em: EntityManager,
  hash: string,
): Promise<(PartnerRecord & { tokenId: string }) | null> {
  const conn = em.getConnection();
  const rows = await conn.execute<
    {
      id: string;
      siret: string;
      name: string;
      kind: string;
      region: string | null;
      reseau: string | null;
      created_at: Date;
      token_id: string;
    }[]
  >(
    `select p.id, p.siret, p.name, p.kind, p.region, p.reseau, p.created_at, t.id as token_id
       from partner_tokens t join partners p on p.id = t.partner_id
      where t.token_hash = ? and t.revoked_at is null`,
    [hash],
  );
  const r = rows[0];
  if (!r) return null;
  await conn.execute(
    `update partner_tokens set last_used_at = now()
      where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [r.token_id],
  );
  return { ...toRecord({ ...r, createdAt: new Date(r.created_at) }), tokenId: r.token_id };
}

export async function listPartners(
  em: EntityManager,
): Promise<(PartnerRecord & { prefixes: string[]; tokens: TokenRecord[] })[]> {
  const rows = await em.find(Partner, {}, { orderBy: { createdAt: 'asc' } });
  const tokens = await em.getConnection().execute<
    {
      id: string;
      partner_id: string;
      created_at: Date;
      last_used_at: Date | null;
      revoked_at: Date | null;
    }[]
  >('select id, partner_id, created_at, last_used_at, revoked_at from partner_tokens order by created_at');
  const prefixes = await em
    .getConnection()
    .execute<{ id: string; prefixes: string[] }[]>('select id, prefixes from partners');
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return rows.map((p) => ({
    ...toRecord(p),
    prefixes: prefixes.find((x) => x.id === p.id)?.prefixes ?? [],
    tokens: tokens
      .filter((t) => t.partner_id === p.id)
      .map((t) => ({
        id: t.id,
        createdAt: iso(t.created_at)!,
        lastUsedAt: iso(t.last_used_at),
        revokedAt: iso(t.revoked_at),
      })),
  }));
}

function toRecord(p: {
  id: string;
  siret: string;
  name: string;
  kind: string;
  region?: string | null;
  reseau?: string | null;
  createdAt: Date;
}): PartnerRecord {
  return {
    id: p.id,
    siret: p.siret,
    name: p.name,
    kind: p.kind as PartnerKind,
    region: p.region ?? null,
    reseau: p.reseau ?? null,
    createdAt: p.createdAt,
  };
}

/**
 * Of the given SIRETs, those that are not a registered partner of a funding kind (CONTRACT.md:
 * every financeurSiret of a dossier must be one).
 */
export async function unknownFinanceurs(em: EntityManager, sirets: readonly string[]): Promise<string[]> {
  return unknownPartners(em, sirets, FUNDING_KINDS);
}

/** The SIRETs that are not registered partners of one of these kinds. */
export async function unknownPartners(
  em: EntityManager,
  sirets: readonly string[],
  kinds: readonly string[],
): Promise<string[]> {
  const wanted = [...new Set(sirets)];
  if (wanted.length === 0) return [];
  const rows = await em
    .getConnection()
    .execute<{ siret: string }[]>(
      'select siret from partners where siret = any(?::varchar[]) and kind = any(?::varchar[])',
      [`{${wanted.join(',')}}`, `{${kinds.join(',')}}`],
    );
  const known = new Set(rows.map((r) => r.siret));
  return wanted.filter((s) => !known.has(s));
}

/** The tokens revoked since `since` (all revoked ones when null), and the database's time of the read. */
export async function revokedTokensSince(
  em: EntityManager,
  since: Date | null,
): Promise<{ ids: string[]; at: Date }> {
  const [row] = await em.getConnection().execute<{ ids: string[] | null; at: Date }[]>(
    `select (select array_agg(id::text) from partner_tokens
                where revoked_at is not null and (?::timestamptz is null or revoked_at >= ?::timestamptz - interval '5 seconds')) as ids,
              now() as at`,
    [since, since],
  );
  return { ids: row?.ids ?? [], at: new Date(row!.at) };
}

/**
 * The partner whose prefix a dossierId starts with (the longest such prefix), or null: a dossierId
 * in another partner's numbering is refused (CONTRACT.md).
 */
export async function prefixOwner(
  em: EntityManager,
  dossierId: string,
): Promise<{ siret: string; name: string; prefix: string } | null> {
  const [row] = await em.getConnection().execute<{ siret: string; name: string; prefix: string }[]>(
    `select pa.siret, pa.name, pr as prefix from partners pa, unnest(pa.prefixes) pr
      where starts_with(?, pr) order by length(pr) desc limit 1`,
    [dossierId],
  );
  return row ?? null;
}

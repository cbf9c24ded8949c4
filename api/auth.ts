import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { findPartnerByTokenHash } from '../db/partners';
import { sha256Hex } from '../infra/canonical-hash';
import { ApiError } from './errors';
import type { AppEnv } from './app-env';

const CACHE_MAX = 10_000;
/** How long past its freshness a cached token still serves while the database is down. */
const STALE_MS = 5 * 60_000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256Hex(a));
  const y = Buffer.from(sha256Hex(b));
  return timingSafeEqual(x, y);
}

/** Bearer-token authentication: the admin token, or a partner token looked up by its hash. */
export function authenticate(
  orm: MikroORM,
  adminToken: string | undefined,
  cacheMs = 10_000,
): MiddlewareHandler<AppEnv> {
  // A short cache keeps the database off the hot path; a revoked token lives at most cacheMs more.
  const cache = new Map<string, { actor: Actor; until: number }>();
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new ApiError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const token = match[1];
    if (adminToken && sameSecret(token, adminToken)) {
      c.set('actor', { admin: true });
      return next();
    }
    const hash = sha256Hex(token);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) {
      c.set('actor', hit.actor);
      return next();
    }
    let partner;
    try {
      partner = await findPartnerByTokenHash(orm.em.fork(), hash);
    } catch (e) {
      // PostgreSQL unreachable: a token seen in the last few minutes stays good, so partners'
      // events (which need only Temporal) go on through a database outage.
      if (hit && hit.until + STALE_MS > Date.now()) {
        c.set('actor', hit.actor);
        return next();
      }
      throw e;
    }
    if (!partner) throw new ApiError('UNAUTHENTICATED', 'unknown token');
    const actor: Actor = {
      admin: false,
      partnerId: partner.id,
      siret: partner.siret,
      kind: partner.kind,
      name: partner.name,
      ...(partner.region ? { region: partner.region } : {}),
    };
    if (cache.size >= CACHE_MAX) cache.clear();
    if (cacheMs > 0) cache.set(hash, { actor, until: Date.now() + cacheMs });
    c.set('actor', actor);
    return next();
  };
}

export function requireAdmin(actor: Actor): void {
  if (!actor.admin) throw new ApiError('FORBIDDEN', 'this route is for the platform admin');
}

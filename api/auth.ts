import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { findPartnerByTokenHash, revokedTokensSince } from '../db/partners';
import { sha256Hex } from '../infra/canonical-hash';
import { ApiError } from './errors';
import type { AppEnv } from './app-env';

const CACHE_MAX = 10_000;
/** How long past its freshness a cached token still serves while the database is down. */
const STALE_MS = 5 * 60_000;
/** An unknown token is not looked up again for this long (guessing costs no query). */
const MISS_MS = 30_000;
/** How often each instance reads the revocations made on the others. */
const REVOCATION_POLL_MS = 2000;

/** Compares two secrets in constant time (their hashes, so lengths do not leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(a)), Buffer.from(sha256Hex(b)));
}

/** The client's address: the socket's peer (the API listens behind the proxy that sets it). */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'local';
}

/**
 * A token bucket per key, refilled at `perSecond`, `burst` deep: `take` answers how many seconds
 * to wait when the bucket is empty (0: go on).
 */
export class Buckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Whether the key has budget left, without taking any. */
  wait(key: string): number {
    const b = this.refill(key);
    return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  take(key: string): number {
    const wait = this.wait(key);
    if (wait === 0) this.buckets.get(key)!.tokens -= 1;
    return wait;
  }

  private refill(key: string) {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (this.buckets.size > 100_000) this.buckets.clear();
    this.buckets.set(key, b);
    return b;
  }
}

/** 429 RATE_LIMITED with Retry-After. */
export function rateLimited(c: Context, wait: number, what: string): ApiError {
  c.header('Retry-After', String(wait));
  return new ApiError('RATE_LIMITED', `${what}; retry after ${wait} s`);
}

/**
 * Partner tokens as this instance knows them: a short cache of good ones, a cache of unknown
 * ones, and the revocations. A token revoked here is refused at once; one revoked on another
 * instance within REVOCATION_POLL_MS (each instance reads the new revocations that often, and a
 * cached token is checked against them). While PostgreSQL is unreachable, a token validated in
 * the last 5 minutes still serves (events need only Temporal), unless it is known revoked or the
 * revocations were not read in the seconds before the outage began.
 */
export class TokenRegistry {
  private readonly good = new Map<string, { actor: Actor; tokenId: string; until: number }>();
  private readonly unknown = new Map<string, number>();
  private readonly revoked = new Set<string>();
  private revocationsReadAt = 0;
  private revocationsSince: Date | null = null;
  private reading: Promise<void> | null = null;
  private outageSince: number | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly cacheMs = 5000,
  ) {}

  /** The partner of a token's hash, or null for an unknown or revoked one. */
  async resolve(hash: string): Promise<Actor | null> {
    this.readRevocations();
    const now = Date.now();
    const hit = this.good.get(hash);
    if (hit && this.revoked.has(hit.tokenId)) this.good.delete(hash);
    else if (hit && hit.until > now) return hit.actor;
    if ((this.unknown.get(hash) ?? 0) > now) return null;
    let partner;
    try {
      partner = await findPartnerByTokenHash(this.orm.em.fork(), hash);
      this.outageSince = null;
    } catch (e) {
      this.outageSince ??= now;
      // The revocations were current when the outage began: a token validated before it stays good.
      const current = this.revocationsReadAt >= this.outageSince - 2 * REVOCATION_POLL_MS;
      if (hit && current && !this.revoked.has(hit.tokenId) && hit.until + STALE_MS > now) return hit.actor;
      throw e;
    }
    if (!partner || this.revoked.has(partner.tokenId)) {
      if (this.unknown.size >= CACHE_MAX) this.unknown.clear();
      this.unknown.set(hash, now + MISS_MS);
      this.good.delete(hash);
      return null;
    }
    const actor: Actor = {
      admin: false,
      partnerId: partner.id,
      siret: partner.siret,
      kind: partner.kind,
      name: partner.name,
      ...(partner.region ? { region: partner.region } : {}),
    };
    if (this.good.size >= CACHE_MAX) this.good.clear();
    this.good.set(hash, { actor, tokenId: partner.tokenId, until: now + this.cacheMs });
    return actor;
  }

  /** A token revoked on this instance: refused from now on. */
  revoke(tokenId: string): void {
    this.revoked.add(tokenId);
    for (const [hash, entry] of this.good) if (entry.tokenId === tokenId) this.good.delete(hash);
  }

  /** New revocations, read in the background at most every REVOCATION_POLL_MS. */
  private readRevocations(): void {
    if (this.reading || Date.now() - this.revocationsReadAt < REVOCATION_POLL_MS) return;
    const started = Date.now();
    this.reading = revokedTokensSince(this.orm.em.fork(), this.revocationsSince)
      .then(({ ids, at }) => {
        if (this.revoked.size + ids.length > CACHE_MAX) this.revoked.clear();
        for (const id of ids) this.revoke(id);
        this.revocationsSince = at;
        this.revocationsReadAt = started;
      })
      .catch(() => undefined)
      .finally(() => {
        this.reading = null;
      });
  }
}

/**
 * Bearer-token authentication: the admin token, or a partner token. An address that sends
 * unknown tokens is throttled before anything is looked up (guessing tokens costs its sender).
 */
export function authenticate(
  tokens: TokenRegistry,
  adminToken: string | undefined,
  failures: Buckets,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // The console, in process: its signed-in user, vouched for by its server-side session. The
    // environment of a request from the network holds only the socket, never this.
    const inProcess = (c.env as { consoleActor?: Actor } | undefined)?.consoleActor;
    if (inProcess) {
      c.set('actor', inProcess);
      return next();
    }
    const address = clientAddress(c);
    const wait = failures.wait(address);
    if (wait > 0) throw rateLimited(c, wait, 'too many requests with unknown tokens from this address');
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new ApiError('UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const token = match[1];
    if (adminToken && sameSecret(token, adminToken)) {
      c.set('actor', { admin: true });
      return next();
    }
    const actor = await tokens.resolve(sha256Hex(token));
    if (!actor) {
      failures.take(address);
      throw new ApiError('UNAUTHENTICATED', 'unknown token');
    }
    c.set('actor', actor);
    return next();
  };
}

/**
 * The guard of the admin routes, on each route (`middleware` of its createRoute): 403 for anyone
 * but the platform admin, before the request is validated, so a partner learns nothing of the
 * admin routes' inputs. A path no route serves still answers 404 (or 405).
 */
export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('actor').admin) throw new ApiError('FORBIDDEN', 'this route is for the platform admin');
  await next();
};

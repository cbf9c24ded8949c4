import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';
import { ApiError } from './errors';

/**
 * A token bucket per caller (partner or admin): `perSecond` requests a second on average, bursts
 * of `burst`. Per API instance: with N instances a caller gets N times the rate at most.
 */
export function rateLimit(perSecond: number, burst: number): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return async (c, next) => {
    if (perSecond <= 0) return next();
    const actor = c.get('actor');
    const key = actor.admin ? 'admin' : actor.partnerId;
    const now = Date.now();
    const b = buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens < 1) {
      buckets.set(key, b);
      const wait = Math.ceil((1 - b.tokens) / perSecond);
      c.header('Retry-After', String(Math.max(1, wait)));
      throw new ApiError(
        'RATE_LIMITED',
        `too many requests: at most ${perSecond} a second; retry after ${Math.max(1, wait)} s`,
      );
    }
    b.tokens -= 1;
    if (buckets.size > 100_000) buckets.clear();
    buckets.set(key, b);
    return next();
  };
}

import { Hono } from 'hono';
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { platformGauges } from '../db/platform-gauges';
import { missingSearchAttributes } from '../services/namespace-setup';
import { type Buckets, type TokenRegistry, clientAddress, rateLimited, sameSecret } from './auth';
import { sha256Hex } from '../infra/canonical-hash';
import { ApiError } from './errors';
import type { Metrics } from './metrics';
import { TtlCache } from './ttl-cache';

/** The operators' routes: `/healthz`, `/readyz` and `/metrics` (CONTRACT.md, "Operations"). */
export function operationsRoutes(deps: {
  client: Client;
  orm: MikroORM;
  metrics: Metrics;
  /** The bearer token Prometheus scrapes /metrics with; the admin token works too. */
  metricsToken: string | undefined;
  adminToken: string | undefined;
  /** Partner tokens: one of them is told it has no access here (403), not that it is unknown. */
  tokens: TokenRegistry;
  failures: Buckets;
  /** 0: the platform gauges are read on every scrape (tests); else at most every 15 s. */
  statsCacheMs: number | undefined;
}) {
  const { client, orm } = deps;
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // Once the namespace has the platform's search attributes it keeps them: checked until then.
  let namespaceReady = false;
  const lackingAttributes = async (): Promise<string[]> => {
    if (namespaceReady) return [];
    // null: these credentials may not list them (Temporal Cloud); creations say so if they lack.
    const missing = await missingSearchAttributes(client.connection, client.options.namespace);
    namespaceReady = missing !== null && missing.length === 0;
    return missing ?? [];
  };
  app.get('/readyz', async (c) => {
    const check = async (fn: () => Promise<unknown>) =>
      Promise.race([
        fn().then(() => 'ok' as const),
        new Promise<'unreachable'>((r) => setTimeout(() => r('unreachable'), 2000)),
      ]).catch(() => 'unreachable' as const);
    const [temporal, database, missing] = await Promise.all([
      check(() => client.workflowService.getSystemInfo({})),
      check(() => orm.em.getConnection().execute('select 1')),
      Promise.race([lackingAttributes(), new Promise<string[]>((r) => setTimeout(() => r([]), 2000))]).catch(
        () => [],
      ),
    ]);
    const lacking = missing.map((name) => `search attribute ${name} (npx agora setup)`);
    const ok = temporal === 'ok' && database === 'ok' && lacking.length === 0;
    return c.json(
      {
        status: ok ? 'ok' : 'unavailable',
        temporal,
        database,
        ...(lacking.length ? { missing: lacking } : {}),
      },
      ok ? 200 : 503,
    );
  });

  const gauges = new TtlCache<string>(deps.statsCacheMs === 0 ? 0 : 15_000);
  app.get('/metrics', async (c) => {
    // Bearer AGORA_METRICS_TOKEN (Prometheus's own) or the admin token; failures count as guesses.
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const allowed = [deps.metricsToken, deps.adminToken].filter((t): t is string => !!t);
    if (!bearer || !allowed.some((t) => sameSecret(bearer, t))) {
      const address = clientAddress(c);
      const wait = deps.failures.wait(address);
      if (wait > 0) throw rateLimited(c, wait, 'too many requests with unknown tokens from this address');
      const partner = bearer ? await deps.tokens.resolve(sha256Hex(bearer)).catch(() => null) : null;
      if (partner) {
        throw new ApiError(
          'FORBIDDEN',
          "/metrics is the platform's: scrape it with AGORA_METRICS_TOKEN or the admin token",
        );
      }
      if (bearer) deps.failures.take(address);
      throw new ApiError(
        'UNAUTHENTICATED',
        'send Authorization: Bearer <AGORA_METRICS_TOKEN, or the admin token>',
      );
    }
    const platform = await gauges
      .get('gauges', () => platformGauges(orm.em.fork()))
      .catch(() => '# platform gauges unavailable (database)');
    return c.text(`${deps.metrics.render()}\n${platform}\n`, 200, {
      'content-type': 'text/plain; version=0.0.4',
    });
  });
  return app;
}

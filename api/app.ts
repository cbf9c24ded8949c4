import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Tracer } from '@opentelemetry/api';
import type { PayloadCodec } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../infra/logger';
import type { AppEnv } from './app-env';
import { Buckets, TokenRegistry, authenticate } from './auth';
import { docsRoutes } from './docs';
import { ApiError, errorResponse } from './errors';
import { bodyLimits, requestLog, securityHeaders, traceRequests } from './http-middleware';
import { Metrics } from './metrics';
import { methodsOf } from './method-not-allowed';
import { operationsRoutes } from './operations';
import { rateLimit } from './rate-limit';
import { adminRoutes } from './routes/admin';
import { certificationRoutes } from './routes/certifications';
import { openDataRoutes } from './routes/open-data';
import { changeRoutes } from './routes/changes';
import { codecRoutes } from './routes/codec';
import { dsnRoutes } from './routes/dsn';
import { meRoutes } from './routes/me';
import { qualityRoutes } from './routes/quality';
import { statsRoutes } from './routes/stats';
import { consoleRoutes } from './console/routes';
import { dsfrAssets } from './console/assets';
import { type Origins, consoleSignIn } from './console/sign-in';
import { webhookRoutes } from './routes/webhooks';
import { answerErrors, createWriteServices, mountPartnerWrites } from './partner-writes';
import { fluxRoutes } from './routes/flux';

export interface AppDeps {
  client: Client;
  orm: MikroORM;
  logger: Logger;
  taskQueue: string;
  adminToken: string | undefined;
  /** For the DSN imports, which stream into PostgreSQL with COPY on a connection of their own. */
  databaseUrl: string;
  hashNir: (nir: string) => Buffer;
  /** Seals the NIR in the read model (infra/sealing.ts): the API projects the states events answer. */
  seal: (text: string) => Buffer;
  /** Opens what `seal` sealed: a closed dossier's NIR, read from its record. */
  unseal: (sealed: Buffer) => string;
  /** The key the API vouches for its messages to dossiers' workflows with (infra/pseudonym.ts). */
  vouchKey: string;
  /** `stagiaire_pseudo` of the exported files (infra/pseudonym.ts). */
  pseudonymise: (nirHash: Buffer) => string;
  bodyLimit?: number;
  /** How long a partner token stays cached (default 5 s; revocations reach every instance within 2 s). */
  authCacheMs?: number;
  /** Unknown tokens (and failed sign-ins) an address may send: a second on average, and the burst. */
  authFailures?: { perSecond: number; burst: number };
  /** The payload codec, served to the Temporal Web UI at /codec (admin only). */
  codec?: { codec: PayloadCodec; uiOrigins: string[] };
  /** How long a stats answer is served from memory (default 30 s; 0: always computed). */
  statsCacheMs?: number;
  /** Requests a second per token and instance (0: no limit), and the burst allowed. */
  rateLimit?: { perSecond: number; burst: number };
  now?: () => Date;
  metrics?: Metrics;
  /** The bearer token Prometheus scrapes /metrics with (the admin token works too). */
  metricsToken?: string | undefined;
  /** OpenTelemetry's tracer (infra/telemetry.ts): a span per request, current for the whole call. */
  tracer?: Tracer | null;
  /** Webhooks may go to http:// and private addresses (AGORA_WEBHOOK_ALLOW_PRIVATE=1). */
  webhookAllowPrivate?: boolean;
  /** The console's outside OpenID provider (ProConnect; AGORA_OIDC_*); unset: the embedded one. */
  oidc?: { issuer: string; clientId: string; clientSecret: string } | undefined;
  /** Tests: the webhooks' first back-off step and long-poll (defaults: 10 s, 20 s). */
  webhookTiming?: { retryBaseMs?: number; waitMs?: number };
}

/**
 * The whole HTTP API as a Hono app, composed here from its parts; only api/server.ts listens on a
 * port. The middlewares run in this order: trace, security headers, request log, body limits, then
 * for `/v1` authentication, rate limit and (for dossiers and CEP periods) the rejection log.
 */
export function createApp(deps: AppDeps) {
  const { orm, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? new Metrics();
  const services = createWriteServices({ ...deps, now, metrics });
  const { certifications } = services;
  const app = new OpenAPIHono<AppEnv>();
  answerErrors(app, logger);
  app.notFound((c) => {
    // A path the API serves, asked with another method: 405 with the methods it takes.
    const allowed = methodsOf(app.routes, c.req.path);
    if (allowed.length > 0) {
      c.header('Allow', allowed.join(', '));
      return errorResponse(
        c,
        new ApiError(
          'METHOD_NOT_ALLOWED',
          `${c.req.method} is not served on ${c.req.path}: use ${allowed.join(', ')}`,
        ),
      );
    }
    return errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  });

  if (deps.tracer) app.use('*', traceRequests(deps.tracer));
  app.use('*', securityHeaders);
  app.use('*', requestLog(metrics, logger));
  app.use('*', bodyLimits(deps.bodyLimit ?? 1024 * 1024));
  const tokens = new TokenRegistry(orm, deps.authCacheMs ?? 5000);
  const failures = new Buckets(deps.authFailures?.perSecond ?? 1, deps.authFailures?.burst ?? 30);
  app.use('/v1/*', authenticate(tokens, deps.adminToken, failures));
  app.use('/v1/*', rateLimit(deps.rateLimit?.perSecond ?? 0, deps.rateLimit?.burst ?? 1));
  mountPartnerWrites(app, services, { orm, logger, hashNir: deps.hashNir, now, metrics });

  app.route('/', fluxRoutes({ orm, client: deps.client, taskQueue: deps.taskQueue, seal: deps.seal }));
  app.route('/', openDataRoutes({ orm }));
  app.route('/', changeRoutes({ orm }));
  app.route(
    '/',
    webhookRoutes({
      orm,
      client: deps.client,
      taskQueue: deps.taskQueue,
      seal: deps.seal,
      allowPrivate: deps.webhookAllowPrivate ?? false,
      ...(deps.webhookTiming ? { timing: deps.webhookTiming } : {}),
    }),
  );
  app.route('/', certificationRoutes({ service: certifications, orm, now }));
  app.route('/', meRoutes({ orm }));
  app.route('/', adminRoutes({ orm, onRevoke: (tokenId) => tokens.revoke(tokenId) }));
  app.route('/', qualityRoutes({ orm }));
  app.route(
    '/',
    statsRoutes({
      orm,
      databaseUrl: deps.databaseUrl,
      pseudonymise: deps.pseudonymise,
      cacheMs: deps.statsCacheMs ?? 30_000,
    }),
  );
  app.route(
    '/',
    dsnRoutes({
      client: deps.client,
      databaseUrl: deps.databaseUrl,
      taskQueue: deps.taskQueue,
      hashNir: deps.hashNir,
      orm,
    }),
  );

  // The case workers' console: a client of this same API, called in process as its signed-in user.
  const signIn = consoleSignIn({
    orm,
    adminToken: deps.adminToken,
    key: deps.vouchKey,
    failures,
    logger,
    oidc: deps.oidc,
  });
  app.route(
    '/',
    consoleRoutes((path, init, env) => app.request(path, init, env as object), signIn),
  );
  app.route('/', dsfrAssets());
  app.get('/', (c) => c.redirect('/console'));

  if (deps.codec) app.route('/', codecRoutes({ ...deps.codec, adminToken: deps.adminToken, orm, failures }));

  app.route(
    '/',
    operationsRoutes({
      client: deps.client,
      orm,
      metrics,
      metricsToken: deps.metricsToken,
      adminToken: deps.adminToken,
      tokens,
      failures,
      statsCacheMs: deps.statsCacheMs,
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.route(
    '/',
    docsRoutes(() =>
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'agora-flow',
          version: '0.1.0',
          description:
            'Lifecycle of vocational-training dossiers: partner events, case-worker reads, DSN follow-up.',
        },
      }),
    ),
  );
  // For api/server.ts's timer (and the tests): the certification results left waiting by a crash.
  return Object.assign(app, {
    sweepWaitingResults: () => certifications.sweepWaiting(now().toISOString()),
    /**
     * Once listening (api/serve.ts): the public address (the console's OpenID redirects, the
     * embedded provider's issuer) and the local one.
     */
    listening: (origins: Origins) => signIn.listening(origins),
    /** The embedded OpenID provider's own requests, served by its Koa app (api/serve.ts). */
    providerHandles: (url: string | undefined) => signIn.providerHandles(url),
  });
}

import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Next } from 'hono';
import type { Client } from '@temporalio/client';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { inSpan } from '../infra/telemetry';
import { missingSearchAttributes } from '../infra/namespace-setup';
import type { PayloadCodec } from '@temporalio/common';
import { codecRoutes } from './routes/codec';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../infra/logger';
import { recordRejection } from '../db/rejections';
import { ErrorCode, EventType } from '../domain/codes';
import type { AppEnv } from './app-env';
import { Buckets, TokenRegistry, authenticate, clientAddress, rateLimited, sameSecret } from './auth';
import { bodyLimitByHeader } from './body-limit';
import { createDossierGateway } from './dossier-gateway';
import { QUARANTINE_ATTEMPTS, createProjector } from '../db/projection-intents';
import { createRecordStore } from '../db/dossier-records';
import { ApiError, errorResponse, toApiError } from './errors';
import { Metrics } from './metrics';
import { methodsOf } from './method-not-allowed';
import { withCommonErrors } from './openapi-responses';
import { TtlCache } from './ttl-cache';
import { rateLimit } from './rate-limit';
import { adminRoutes } from './routes/admin';
import { dossierRoutes } from './routes/dossiers';
import { qualityRoutes } from './routes/quality';
import { dsnRoutes } from './routes/dsn';
import { statsRoutes } from './routes/stats';
import { meRoutes } from './routes/me';
import { consoleRoutes } from './console/routes';

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
}

const REFUSAL_STATUSES = new Set([400, 403, 409, 413]);

/** The whole HTTP API as a Hono app; only api/server.ts listens on a port. */
export function createApp(deps: AppDeps) {
  const { orm, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? new Metrics();
  const projector = createProjector({ orm, hashNir: deps.hashNir, seal: deps.seal });
  const gateway = createDossierGateway({
    client: deps.client,
    taskQueue: deps.taskQueue,
    projector,
    records: createRecordStore(orm, deps.unseal),
    vouchKey: deps.vouchKey,
    logger,
  });
  const app = new OpenAPIHono<AppEnv>();

  app.onError((err, c) => {
    const e = toApiError(err, (id, cause) =>
      logger.error({ errorId: id, err: cause, path: c.req.path }, 'unexpected error'),
    );
    if (e.code === 'UNAVAILABLE') logger.warn({ err, path: c.req.path }, 'dependency unavailable');
    return errorResponse(c, e);
  });
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

  // One trace per partner call: this span is current while the handler runs, so the Temporal
  // client's spans (and through their headers the workflow's and the activities') join it. Its name
  // and attributes are the route and the status: never a path's ids, a query or a body.
  const tracer = deps.tracer;
  if (tracer) {
    app.use('*', (c, next) =>
      inSpan(tracer, c.req.method, async (span) => {
        await next();
        span.updateName(`${c.req.method} ${c.req.routePath}`);
        span.setAttributes({
          'http.request.method': c.req.method,
          'http.route': c.req.routePath,
          'http.response.status_code': c.res.status,
        });
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }),
    );
  }

  // On every answer (CONTRACT.md, "Operations"): no sniffing, no referrer, nothing framed, and the
  // console and /docs load only their own scripts.
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', CSP);
  });

  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || randomUUID();
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    await next();
    const route = c.req.routePath;
    const seconds = (performance.now() - started) / 1000;
    metrics.observe('agora_http_request_duration_seconds', { method: c.req.method, route }, seconds);
    metrics.inc('agora_http_requests_total', { method: c.req.method, route, status: String(c.res.status) });
    logger.debug({
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 1000),
    });
  });

  const maxSize = deps.bodyLimit ?? 1024 * 1024;
  const limit = bodyLimitByHeader({
    maxSize,
    onError: (c) =>
      errorResponse(c, new ApiError('PAYLOAD_TOO_LARGE', `request body over the limit of ${maxSize} bytes`)),
  });
  // The Temporal Web UI decodes a page of history at a time through /codec/decode: a larger bound.
  const codecMax = Math.max(maxSize, 4 * 1024 * 1024);
  const codecLimit = bodyLimitByHeader({
    maxSize: codecMax,
    onError: (c) =>
      errorResponse(c, new ApiError('PAYLOAD_TOO_LARGE', `request body over the limit of ${codecMax} bytes`)),
  });
  // Every route is bounded, the sign-in forms included, before anything reads a body. DSN months
  // are streamed (a million lines), never held in memory: bounded by line as they are read.
  app.use('*', (c, next) => {
    if (c.req.path === '/v1/dsn/imports') return next();
    return c.req.path === '/codec/decode' ? codecLimit(c, next) : limit(c, next);
  });
  const tokens = new TokenRegistry(orm, deps.authCacheMs ?? 5000);
  const failures = new Buckets(deps.authFailures?.perSecond ?? 1, deps.authFailures?.burst ?? 30);
  app.use('/v1/*', authenticate(tokens, deps.adminToken, failures));
  app.use('/v1/*', rateLimit(deps.rateLimit?.perSecond ?? 0, deps.rateLimit?.burst ?? 1));

  // The data-quality log: every refused partner event is recorded with its reason (no personal data).
  app.use('/v1/dossiers/*', rejectionLog);
  app.use('/v1/dossiers', rejectionLog);
  async function rejectionLog(c: Context<AppEnv>, next: Next) {
    await next();
    if (c.req.method !== 'POST') return;
    const kind = c.req.path.endsWith('/events') ? 'event' : 'creation';
    const refused = REFUSAL_STATUSES.has(c.res.status);
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const error =
      c.res.status >= 400
        ? (
            (await c.res
              .clone()
              .json()
              .catch(() => null)) as { error?: { code?: string; message?: string } } | null
          )?.error
        : undefined;
    // Labels stay bounded: a type or code outside the contract's lists is counted as OTHER.
    const rawType = kind === 'creation' ? 'CREATION' : body?.type;
    const type = rawType === 'CREATION' || EventType.safeParse(rawType).success ? String(rawType) : 'OTHER';
    const code =
      error?.code && ErrorCode.safeParse(error.code).success ? error.code : c.res.status < 300 ? '' : 'OTHER';
    metrics.inc('agora_events_total', {
      kind,
      type,
      result: refused ? 'refused' : c.res.status < 300 ? 'accepted' : 'error',
      code,
      status: String(c.res.status),
    });
    const actor = c.get('actor');
    if (!refused || !actor || actor.admin) return;
    try {
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : null);
      await recordRejection(orm.em.fork(), {
        partnerSiret: actor.siret,
        dossierId: str(c.req.param('dossierId')) ?? str(body?.dossierId),
        eventId: str(body?.eventId),
        eventType: kind === 'creation' ? 'CREATION' : str(body?.type),
        code: error?.code ?? 'UNKNOWN',
        message: (error?.message ?? '').slice(0, 2000),
      });
    } catch (err) {
      logger.warn({ err }, 'could not record a rejection');
    }
  }

  app.route('/', dossierRoutes({ gateway, orm, now, hashNir: deps.hashNir }));
  app.route('/', meRoutes());
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

  // The case workers' console: a client of this same API, called in process with their token.
  app.route(
    '/',
    consoleRoutes((path, init, env) => app.request(path, init, env as object)),
  );
  app.get('/', (c) => c.redirect('/console'));

  if (deps.codec) app.route('/', codecRoutes({ ...deps.codec, adminToken: deps.adminToken, orm, failures }));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // Once the namespace has the platform's search attributes it keeps them: checked until then.
  let namespaceReady = false;
  const lackingAttributes = async (): Promise<string[]> => {
    if (namespaceReady) return [];
    // null: these credentials may not list them (Temporal Cloud); creations say so if they lack.
    const missing = await missingSearchAttributes(deps.client.connection, deps.client.options.namespace);
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
      check(() => deps.client.workflowService.getSystemInfo({})),
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
  // Platform gauges from PostgreSQL (shared by every instance), read at most every 15 s.
  const gauges = new TtlCache<string>(deps.statsCacheMs === 0 ? 0 : 15_000);
  const platformGauges = () =>
    gauges.get('gauges', async () => {
      const conn = orm.em.getConnection();
      const [byStatus, dsn, intents] = await Promise.all([
        conn.execute<{ status: string; n: string }[]>(
          'select status, count(*) as n from dossier_facts group by 1 order by 1',
        ),
        conn.execute<{ months: string; lines: string | null }[]>(
          'select count(*) as months, sum(lignes) as lines from dsn_months',
        ),
        conn.execute<{ n: string; oldest: number | null; quarantined: string }[]>(
          `select count(*) as n, extract(epoch from now() - min(created_at))::float8 as oldest,
                  count(distinct dossier_id) filter (where attempts >= ${QUARANTINE_ATTEMPTS}) as quarantined
             from projection_intents`,
        ),
      ]);
      return [
        '# TYPE agora_dossiers gauge',
        ...byStatus.map((r) => `agora_dossiers{status="${r.status}"} ${r.n}`),
        '# TYPE agora_dsn_months_loaded gauge',
        `agora_dsn_months_loaded ${dsn[0]?.months ?? 0}`,
        '# TYPE agora_dsn_lines_loaded gauge',
        `agora_dsn_lines_loaded ${dsn[0]?.lines ?? 0}`,
        // Read-model writes begun and not yet settled: near zero, and young, when all is well.
        '# TYPE agora_projection_intents gauge',
        `agora_projection_intents ${intents[0]?.n ?? 0}`,
        '# TYPE agora_projection_intent_oldest_seconds gauge',
        `agora_projection_intent_oldest_seconds ${Math.round(intents[0]?.oldest ?? 0)}`,
        // Dossiers whose record the database refused again and again: zero when all is well.
        '# TYPE agora_projection_quarantined gauge',
        `agora_projection_quarantined ${intents[0]?.quarantined ?? 0}`,
      ].join('\n');
    });
  app.get('/metrics', async (c) => {
    // Bearer AGORA_METRICS_TOKEN (Prometheus's own) or the admin token; failures count as guesses.
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const allowed = [deps.metricsToken, deps.adminToken].filter((t): t is string => !!t);
    if (!bearer || !allowed.some((t) => sameSecret(bearer, t))) {
      const address = clientAddress(c);
      const wait = failures.wait(address);
      if (wait > 0) throw rateLimited(c, wait, 'too many requests with unknown tokens from this address');
      if (bearer) failures.take(address);
      throw new ApiError(
        'UNAUTHENTICATED',
        'send Authorization: Bearer <AGORA_METRICS_TOKEN, or the admin token>',
      );
    }
    const platform = await platformGauges().catch(() => '# platform gauges unavailable (database)');
    return c.text(`${metrics.render()}\n${platform}\n`, 200, { 'content-type': 'text/plain; version=0.0.4' });
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  let openapi: unknown;
  app.get('/openapi.json', (c) => {
    openapi ??= withCommonErrors(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'agora-flow',
          version: '0.1.0',
          description:
            'Lifecycle of vocational-training dossiers: partner events, case-worker reads, DSN follow-up.',
        },
      }),
    );
    return c.json(openapi);
  });
  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.get('/docs/assets/init.js', (c) =>
    c.body(DOCS_INIT, 200, { 'content-type': 'application/javascript; charset=utf-8' }),
  );
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file');
    const asset = SWAGGER_ASSETS[file];
    if (!asset) throw new ApiError('NOT_FOUND', `no asset ${file}`);
    return c.body(readAsset(file), 200, { 'content-type': asset, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}

// Swagger UI is served from the installed package, so /docs works without internet access.
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};
const swaggerDir = (() => {
  const require = createRequire(import.meta.url);
  return join(require.resolve('swagger-ui-dist/package.json'), '..');
})();
const assetCache = new Map<string, Uint8Array<ArrayBuffer>>();
function readAsset(file: string): Uint8Array<ArrayBuffer> {
  let b = assetCache.get(file);
  if (!b) {
    b = new Uint8Array(readFileSync(join(swaggerDir, file)));
    assetCache.set(file, b);
  }
  return b;
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agora-flow API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>`;
/** Its own file, not inline: the Content-Security-Policy admits no inline script. */
const DOCS_INIT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });\n";

/**
 * Scripts, frames and forms from the platform itself only; styles inline too (the console's
 * server-rendered pages carry theirs); images also as data: URLs (Swagger UI's icons).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

import { OpenAPIHono } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Hono } from 'hono';
import { createRecordStore } from '../db/dossier-records';
import { createProjector } from '../db/projection-intents';
import type { Actor } from '../domain/authorization';
import type { Logger } from '../infra/logger';
import type { AppEnv } from './app-env';
import { createCepGateway } from './cep-gateway';
import { createCertificationService } from './certification-service';
import { createDossierGateway } from './dossier-gateway';
import { EventBatch, batching, inBatch } from './event-batches';
import { ApiError, errorResponse, toApiError } from './errors';
import { utf8Json } from './http-middleware';
import { Metrics } from './metrics';
import { rejectionLog } from './rejection-log';
import { cepRoutes } from './routes/cep';
import { dossierRoutes, effectsAfter } from './routes/dossiers';
import { entryActsOn } from '../db/certification-results';
import { pendingLoadTaker } from '../services/pending-loads';
import { keyFingerprint } from '../infra/pseudonym';

/**
 * What a partner's writes go through, in one place for the HTTP API (api/app.ts) and for the
 * partner files (`POST /v1/flux`), whose lines the worker runs in process through the very same
 * routes: validation, authorization, idempotence, the data-quality log and the answer of a single
 * call are those of a single call, by construction.
 */
export interface WriteDeps {
  client: Client;
  orm: MikroORM;
  logger: Logger;
  taskQueue: string;
  hashNir: (nir: string) => Buffer;
  seal: (text: string) => Buffer;
  unseal: (sealed: Buffer) => string;
  vouchKey: string;
  now?: () => Date;
  metrics?: Metrics;
}

export function createWriteServices(deps: WriteDeps) {
  const { orm, logger } = deps;
  const takeLoad = pendingLoadTaker(deps.client, orm, keyFingerprint(deps.hashNir));
  const projector = createProjector({ orm, hashNir: deps.hashNir, seal: deps.seal, onBlocked: takeLoad });
  // A partner file's consecutive lines for one dossier go in one Update (api/event-batches.ts).
  const gateway = batching(
    createDossierGateway({
      client: deps.client,
      taskQueue: deps.taskQueue,
      projector,
      records: createRecordStore(orm, deps.unseal),
      vouchKey: deps.vouchKey,
      logger,
      takeLoad,
    }),
  );
  const cep = createCepGateway({
    client: deps.client,
    orm,
    taskQueue: deps.taskQueue,
    unseal: deps.unseal,
    vouchKey: deps.vouchKey,
    logger,
  });
  const certifications = createCertificationService({ orm, gateway, hashNir: deps.hashNir, logger });
  return { gateway, cep, certifications };
}
export type WriteServices = ReturnType<typeof createWriteServices>;

/** Errors as JSON answers: the API's codes, an unexpected error logged with an id and answered 500. */
export function answerErrors(app: Hono<AppEnv>, logger: Logger) {
  app.onError((err, c) => {
    const e = toApiError(err, (id, cause) =>
      logger.error({ errorId: id, err: cause, path: c.req.path }, 'unexpected error'),
    );
    if (e.code === 'UNAVAILABLE') logger.warn({ err, path: c.req.path }, 'dependency unavailable');
    return errorResponse(c, e);
  });
}

/** The data-quality log, then the dossiers' and the CEP periods' routes (after authentication). */
export function mountPartnerWrites(
  app: OpenAPIHono<AppEnv>,
  services: WriteServices,
  deps: Pick<WriteDeps, 'orm' | 'logger' | 'hashNir'> & { now: () => Date; metrics: Metrics },
) {
  const { orm, logger, metrics, now, hashNir } = deps;
  // One registration each: Hono's `/x/*` matches `/x` itself too (a second one for `/x` logged and
  // counted every creation twice).
  app.use('/v1/dossiers/*', rejectionLog({ orm, metrics, logger, family: 'dossier' }));
  app.use('/v1/cep/periodes/*', rejectionLog({ orm, metrics, logger, family: 'cep' }));
  // Every JSON body of /v1 from here on (the routes mounted after this), its refusal logged above.
  app.use('/v1/*', utf8Json);
  const { gateway, cep, certifications } = services;
  app.route('/', dossierRoutes({ gateway, cep, certifications, orm, now, hashNir }));
  app.route('/', cepRoutes({ gateway: cep, orm, now, hashNir }));
}

/** One answer of a partner write run in process: its status and its JSON body. */
export interface WriteAnswer {
  status: number;
  body: unknown;
}

/**
 * The partner writes as the worker runs them for a file's lines: the same routes, the actor the
 * API authenticated when the file was received (no token, no rate limit: the file was admitted).
 */
export function createPartnerWriter(deps: WriteDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? new Metrics();
  const app = new OpenAPIHono<AppEnv>();
  answerErrors(app, deps.logger);
  app.use('/v1/*', async (c, next) => {
    const actor = (c.env as { consoleActor?: Actor } | undefined)?.consoleActor;
    if (!actor) throw new ApiError('UNAUTHENTICATED', 'partner writes run in process only');
    c.set('actor', actor);
    return next();
  });
  mountPartnerWrites(app, createWriteServices(deps), { ...deps, now, metrics });
  app.notFound((c) => errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)));
  const write = async (actor: Actor, path: string, body: string): Promise<WriteAnswer> => {
    const res = await app.request(
      path,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body },
      { consoleActor: actor },
    );
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  /** A dossier's consecutive lines: each its own call, their events in one Update (api/event-batches.ts). */
  const together = (dossierId: string, size: number) => {
    // (An event that wakes the CEP follow-ups attaches the waiting results too.)
    const batch = new EventBatch(
      dossierId,
      size,
      async (id, event) => effectsAfter(event).attach && entryActsOn(deps.orm.em.fork(), id),
    );
    return (index: number, actor: Actor, path: string, body: string) =>
      inBatch(batch, index, () => write(actor, path, body));
  };
  return Object.assign(write, { together });
}
export type PartnerWriter = ReturnType<typeof createPartnerWriter>;

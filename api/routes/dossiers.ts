import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { authorizeCreate, canReadFullNir, canSee } from '../../domain/authorization';
import { partiesOf } from '../../domain/dossier-state';
import type { DossierState } from '../../domain/dossier-state';
import { toView } from '../../domain/dossier-view';
import { checkNotFuture } from '../../domain/lifecycle';
import {
  CreateDossierBody,
  DossierEvent,
  DossierId,
  DossierView,
  HistoryEntry,
  ListQuery,
} from '../../domain/schemas';
import type { Actor } from '../../domain/authorization';
import { decodeCursor, listDossiers } from '../../db/dossier-read-model';
import { recordAccess } from '../../db/audit';
import { FUNDING_KINDS } from '../../domain/codes';
import type { AppEnv } from '../app-env';
import type { DossierGateway } from '../dossier-gateway';
import { notFound } from '../dossier-gateway';
import { ApiError } from '../errors';
import { validationHook } from '../validation';
import { errorResponses } from '../openapi-responses';

const errors = errorResponses;
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const security = [{ bearer: [] }];
const PathParams = z.object({ dossierId: DossierId });
const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  cursor: z.string().max(64).optional().meta({ description: 'the nextCursor of the previous page' }),
});
const HistoryPage = z.object({
  events: z.array(HistoryEntry),
  nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
});

/** A history cursor: the seq of the last entry served, opaque to partners. */
const historyCursor = {
  encode: (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url'),
  decode(cursor: string): number | null {
    const m = /^seq:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    return m ? Number(m[1]) : null;
  },
};

/** The dossier as this actor may see it: 404 when hidden, full NIR for financeurs only. */
export function viewFor(actor: Actor, state: DossierState) {
  const parties = partiesOf(state);
  if (!canSee(actor, parties)) throw notFound(state.dossierId);
  return toView(state, { fullNir: canReadFullNir(actor, parties) });
}

export function dossierRoutes(deps: {
  gateway: DossierGateway;
  orm: MikroORM;
  now: () => Date;
  hashNir: (nir: string) => Buffer;
}) {
  const { gateway, orm, now, hashNir } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dossiers',
      summary: 'Create a dossier (financeurs)',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: CreateDossierBody } } } },
      responses: {
        201: json(DossierView, 'created'),
        200: json(DossierView, 'the same creation again: unchanged'),
        ...errors(400, 401, 403, 409, 413, 503),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const body = c.req.valid('json');
      const denied = authorizeCreate(actor, body);
      if (denied) throw ApiError.from(denied);
      const at = now();
      const future = checkNotFuture(body.date, { now: at.toISOString() });
      if (future) throw ApiError.from(future);
      const { created, state } = await gateway.create(body, actor, at.toISOString());
      return c.json(viewFor(actor, state), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dossiers/{dossierId}/events',
      summary: 'Send one event of the lifecycle',
      security,
      request: {
        params: PathParams,
        body: { required: true, content: { 'application/json': { schema: DossierEvent } } },
      },
      responses: {
        200: json(DossierView, 'the dossier after the event'),
        ...errors(400, 401, 403, 404, 409, 413, 503),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { dossierId } = c.req.valid('param');
      const result = await gateway.send(dossierId, c.req.valid('json'), actor, now().toISOString());
      return c.json(viewFor(actor, result.state), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers/{dossierId}',
      summary: 'Read a dossier (always up to date with accepted events)',
      security,
      request: { params: PathParams },
      responses: { 200: json(DossierView, 'the dossier'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { dossierId } = c.req.valid('param');
      const actor = c.get('actor');
      const view = viewFor(actor, await gateway.state(dossierId));
      // Every read of a full NIR is traced (who, which dossier, when).
      if (view.stagiaire.nir !== undefined)
        await recordAccess(orm.em.fork(), actor, 'DOSSIER_READ', dossierId);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers/{dossierId}/history',
      summary: 'Every accepted event of a dossier, oldest first, by pages',
      security,
      request: { params: PathParams, query: HistoryQuery },
      responses: {
        200: json(HistoryPage, 'a page of the history'),
        ...errors(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const { dossierId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const afterSeq = cursor === undefined ? 0 : historyCursor.decode(cursor);
      if (afterSeq === null) {
        throw new ApiError('VALIDATION_ERROR', 'invalid query: cursor: not a cursor this API returned', [
          { path: 'query.cursor', message: 'not a cursor this API returned' },
        ]);
      }
      const page = await gateway.history(dossierId, { afterSeq, limit });
      if (!canSee(c.get('actor'), page.parties)) throw notFound(dossierId);
      const nextCursor = page.nextSeq === null ? null : historyCursor.encode(page.nextSeq);
      return c.json({ events: page.events, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers',
      summary: 'List the visible dossiers, newest first (read model: may lag a few seconds)',
      security,
      request: { query: ListQuery },
      responses: {
        200: json(z.object({ items: z.array(DossierView), nextCursor: z.string().nullable() }), 'a page'),
        ...errors(400, 401, 503),
      },
    }),
    async (c) => {
      const { cursor, nir, ...q } = c.req.valid('query');
      const actor = c.get('actor');
      let nirFilter: { nirHash: Buffer; financeur?: string } | undefined;
      if (nir !== undefined) {
        if (!actor.admin && !FUNDING_KINDS.includes(actor.kind)) {
          throw new ApiError('FORBIDDEN', 'searching by NIR is for financeurs');
        }
        // A financeur finds by NIR only the dossiers it funds, not those it sees through its territory.
        nirFilter = { nirHash: hashNir(nir), ...(actor.admin ? {} : { financeur: actor.siret }) };
      }
      const decoded = cursor === undefined ? undefined : decodeCursor(cursor);
      if (decoded === null) {
        throw new ApiError('VALIDATION_ERROR', 'invalid query: cursor: not a cursor this API returned', [
          { path: 'query.cursor', message: 'not a cursor this API returned' },
        ]);
      }
      const em = orm.em.fork();
      const page = await listDossiers(em, actor, {
        ...q,
        ...(nirFilter ? { nirHash: nirFilter.nirHash } : {}),
        ...(nirFilter?.financeur ? { financeur: nirFilter.financeur } : {}),
        ...(decoded ? { cursor: decoded } : {}),
      });
      if (nirFilter) await recordAccess(em, actor, 'NIR_SEARCH', null, { results: page.items.length });
      return c.json(page, 200);
    },
  );

  return app;
}

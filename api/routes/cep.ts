import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../domain/authorization';
import { authorizeCepNirSearch, canSeePeriod } from '../../domain/authorization';
import {
  CepEvent,
  CepHistoryEntry,
  CepListQuery,
  CepSearchBody,
  CepView,
  OpenPeriodBody,
  PeriodeId,
} from '../../domain/cep-schemas';
import type { CepState } from '../../domain/cep-state';
import { toCepView } from '../../domain/cep-view';
import { recordAccess } from '../../db/audit';
import { decodeCepCursor, linksOf, listPeriods } from '../../db/cep-read-model';
import type { CepGateway } from '../cep-gateway';
import { openChecked, periodNotFound } from '../cep-gateway';
import { ApiError } from '../errors';
import { errors, json, router, security } from '../route-kit';
import { HistoryQuery, badCursor, historyCursor, historyStart, limitEventSize } from './paging';

const PathParams = z.object({ periodeId: PeriodeId });
const Page = z.object({ items: z.array(CepView), nextCursor: z.string().nullable() });
const HistoryPage = z.object({
  events: z.array(CepHistoryEntry),
  nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
});

/** CONTRACT.md, "CEP periods": operators open periods and report their events; they alone read them. */
export function cepRoutes(deps: {
  gateway: CepGateway;
  orm: MikroORM;
  now: () => Date;
  hashNir: (nir: string) => Buffer;
}) {
  const { gateway, orm, now, hashNir } = deps;
  const app = router();

  /** The period as its operator sees it, with the periods and dossiers linked to it. */
  const viewOf = async (state: CepState, fullNir: boolean) => {
    const links = await linksOf(orm.em.fork(), [state]);
    return toCepView(state, links.get(state.periodeId)!, { fullNir });
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cep/periodes',
      summary: 'Open a CEP period (CEP operators, France Travail)',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: OpenPeriodBody } } } },
      responses: {
        201: json(CepView, 'opened'),
        200: json(CepView, 'the same opening again: unchanged'),
        ...errors(400, 401, 403, 409, 413, 503),
      },
    }),
    async (c) => {
      const { created, state } = await openChecked(gateway, c.get('actor'), c.req.valid('json'), now());
      return c.json(await viewOf(state, false), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cep/periodes/{periodeId}/events',
      summary: "Send one event of a period's life",
      security,
      request: {
        params: PathParams,
        body: { required: true, content: { 'application/json': { schema: CepEvent } } },
      },
      responses: {
        200: json(CepView, 'the period after the event'),
        ...errors(400, 401, 403, 404, 409, 413, 503),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { periodeId } = c.req.valid('param');
      const event = c.req.valid('json');
      limitEventSize(event);
      const result = await gateway.send(periodeId, event, actor, now().toISOString());
      return c.json(await viewOf(result.state, false), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cep/periodes/{periodeId}',
      summary: 'Read a period (its operator; the full NIR read is audited)',
      security,
      request: { params: PathParams },
      responses: { 200: json(CepView, 'the period'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { periodeId } = c.req.valid('param');
      const actor = c.get('actor');
      const state = await gateway.find(periodeId);
      if (!state || !canSeePeriod(actor, state.operateurSiret)) throw periodNotFound(periodeId);
      await recordAccess(orm.em.fork(), actor, 'CEP_READ', null, { periodeId });
      return c.json(await viewOf(state, true), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cep/periodes/{periodeId}/history',
      summary: 'Every accepted event of a period, oldest first, by pages',
      security,
      request: { params: PathParams, query: HistoryQuery },
      responses: { 200: json(HistoryPage, 'a page of the history'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { periodeId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const page = await gateway.history(periodeId, { afterSeq: historyStart(cursor), limit });
      if (!canSeePeriod(c.get('actor'), page.operateurSiret)) throw periodNotFound(periodeId);
      const nextCursor = page.nextSeq === null ? null : historyCursor.encode(page.nextSeq);
      return c.json({ events: page.events, nextCursor }, 200);
    },
  );

  /** A page of the actor's periods; with a NIR, that person's (audited). */
  const listPage = async (actor: Actor, query: CepListQuery, nir?: string) => {
    const denied = nir === undefined ? null : authorizeCepNirSearch(actor);
    if (denied) throw ApiError.from(denied);
    const { cursor, ...q } = query;
    const decoded = cursor === undefined ? undefined : decodeCepCursor(cursor);
    if (decoded === null) throw badCursor(nir === undefined ? 'query' : 'body');
    const em = orm.em.fork();
    const page = await listPeriods(em, actor, {
      ...q,
      ...(nir !== undefined ? { nirHash: hashNir(nir) } : {}),
      ...(decoded ? { cursor: decoded } : {}),
    });
    if (nir !== undefined)
      await recordAccess(em, actor, 'CEP_NIR_SEARCH', null, { results: page.items.length });
    return page;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/cep/periodes',
      summary: "The operator's periods, newest first (read from the record: may lag a second)",
      description: 'A NIR never travels in a URL: search by NIR with `POST /v1/cep/periodes/search`.',
      security,
      request: { query: CepListQuery },
      responses: { 200: json(Page, 'a page'), ...errors(400, 401, 503) },
    }),
    async (c) => {
      if (c.req.query('nir') !== undefined) {
        throw new ApiError(
          'VALIDATION_ERROR',
          'a NIR is never sent in a URL: search with POST /v1/cep/periodes/search and {"nir": ...} in the body',
          [{ path: 'query.nir', message: 'use POST /v1/cep/periodes/search' }],
        );
      }
      return c.json(await listPage(c.get('actor'), c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/cep/periodes/search',
      summary: "A person's periods by NIR, among the operator's (operators; audited)",
      security,
      request: { body: { required: true, content: { 'application/json': { schema: CepSearchBody } } } },
      responses: { 200: json(Page, 'a page'), ...errors(400, 401, 403, 413, 503) },
    }),
    async (c) => {
      const { nir, ...query } = c.req.valid('json');
      return c.json(await listPage(c.get('actor'), query, nir), 200);
    },
  );

  return app;
}

import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ErrorBody, LogQuery, Since } from '../../domain/schemas';
import { countRejections, listRejections } from '../../db/rejections';
import type { AppEnv } from '../app-env';
import { validationHook } from '../validation';

const Rejection = z.object({
  partnerSiret: z.string(),
  dossierId: z.string().nullable(),
  eventId: z.string().nullable(),
  type: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  at: z.string(),
});

export function qualityRoutes({ orm }: { orm: MikroORM }) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quality/rejections',
      summary: "The calling partner's refused events with their reasons, oldest first",
      security: [{ bearer: [] }],
      request: {
        query: LogQuery,
      },
      responses: {
        200: {
          description: 'rejections',
          content: { 'application/json': { schema: z.object({ items: z.array(Rejection) }) } },
        },
        400: { description: 'error', content: { 'application/json': { schema: ErrorBody } } },
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { since, limit } = c.req.valid('query');
      const from = since ? new Date(since) : new Date(0);
      const items = await listRejections(orm.em.fork(), actor.admin ? null : actor.siret, from, limit);
      return c.json({ items }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quality/rejections/counts',
      summary: 'Refused events per partner and code (the platform: every partner; a partner: its own)',
      security: [{ bearer: [] }],
      request: { query: z.object({ since: Since.optional() }) },
      responses: {
        200: {
          description: 'counts',
          content: {
            'application/json': {
              schema: z.object({
                items: z.array(
                  z.object({ partnerSiret: z.string(), code: z.string(), count: z.number().int() }),
                ),
              }),
            },
          },
        },
        400: { description: 'error', content: { 'application/json': { schema: ErrorBody } } },
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { since } = c.req.valid('query');
      const from = since ? new Date(since) : new Date(0);
      return c.json(
        { items: await countRejections(orm.em.fork(), actor.admin ? null : actor.siret, from) },
        200,
      );
    },
  );
  return app;
}

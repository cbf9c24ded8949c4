import { createRoute, z } from '@hono/zod-openapi';
import { rejectionScope } from '../../domain/authorization';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LogQuery, Since } from '../../domain/schemas';
import { countRejections, listRejections } from '../../db/rejections';
import { errors, json, router, security } from '../route-kit';

const Rejection = z.object({
  partnerSiret: z.string(),
  dossierId: z.string().nullable(),
  periodeId: z.string().optional().meta({ description: "a CEP period's refused event" }),
  eventId: z.string().nullable(),
  type: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  at: z.string(),
});

export function qualityRoutes({ orm }: { orm: MikroORM }) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quality/rejections',
      summary: "The calling partner's refused events with their reasons, oldest first",
      security,
      request: {
        query: LogQuery,
      },
      responses: {
        200: json(z.object({ items: z.array(Rejection) }), 'rejections'),
        ...errors(400),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { since, limit } = c.req.valid('query');
      const from = since ? new Date(since) : new Date(0);
      const items = await listRejections(orm.em.fork(), rejectionScope(actor), from, limit);
      return c.json({ items }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quality/rejections/counts',
      summary: 'Refused events per partner and code (the platform: every partner; a partner: its own)',
      security,
      request: { query: z.object({ since: Since.optional() }) },
      responses: {
        200: json(
          z.object({
            items: z.array(z.object({ partnerSiret: z.string(), code: z.string(), count: z.number().int() })),
          }),
          'counts',
        ),
        ...errors(400),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { since } = c.req.valid('query');
      const from = since ? new Date(since) : new Date(0);
      return c.json({ items: await countRejections(orm.em.fork(), rejectionScope(actor), from) }, 200);
    },
  );
  return app;
}

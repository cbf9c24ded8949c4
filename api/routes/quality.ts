import { createRoute, z } from '@hono/zod-openapi';
import { rejectionScope } from '../../domain/authorization';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LogQuery, Since } from '../../domain/schemas';
import { countRejections, listRejections, type RejectionMark } from '../../db/rejections';
import { badCursor } from './paging';
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

/** A log cursor: the instant and id of the last entry served, opaque to partners. */
const rejectionCursor = {
  encode: (m: RejectionMark) => Buffer.from(`rej:${m.at.getTime()}:${m.id}`).toString('base64url'),
  decode(cursor: string): RejectionMark | null {
    const m = /^rej:(\d{1,15}):(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    return m ? { at: new Date(Number(m[1])), id: Number(m[2]) } : null;
  },
};

export function qualityRoutes({ orm }: { orm: MikroORM }) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/quality/rejections',
      summary: "The calling partner's refused events with their reasons, oldest first",
      security,
      request: {
        query: LogQuery.extend({
          cursor: z.string().max(64).optional().meta({ description: 'the nextCursor of the previous page' }),
        }),
      },
      responses: {
        200: json(z.object({ items: z.array(Rejection), nextCursor: z.string().nullable() }), 'rejections'),
        ...errors(400),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { since, limit, cursor } = c.req.valid('query');
      const from = since ? new Date(since) : new Date(0);
      const after = cursor === undefined ? undefined : rejectionCursor.decode(cursor);
      if (after === null) throw badCursor('query');
      const page = await listRejections(orm.em.fork(), rejectionScope(actor), from, limit, after);
      return c.json({ items: page.items, nextCursor: page.next && rejectionCursor.encode(page.next) }, 200);
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

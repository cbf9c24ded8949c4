import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { FEED_START, decodeFeedCursor, encodeFeedCursor, readChanges } from '../../db/changes';
import { errors, json, router, security } from '../route-kit';
import { badCursor } from './paging';

const ChangesQuery = z.object({
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'the nextCursor of the page before; none: from the beginning' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const Change = z
  .object({
    kind: z.enum(['DOSSIER', 'CEP']),
    id: z.string().meta({ description: 'the dossierId or periodeId' }),
    version: z
      .number()
      .int()
      .meta({ description: 'the record’s version after the change: dedupe on id + version' }),
    type: z.string().meta({
      description:
        "the accepted event's type, or SITUATION, CERTIFICATION, REMUNERATION (CLOTURE for a period) for what the platform itself records",
    }),
    date: z.string().nullable().meta({ description: 'the business date' }),
    receivedAt: z.string(),
    source: z.string().meta({ description: "the sender's SIRET, ADMIN, or PLATEFORME" }),
  })
  .meta({ id: 'Change' });

/** CONTRACT.md, "Change feed and webhooks": every change the caller may see, in recorded order. */
export function changeRoutes(deps: { orm: MikroORM }) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/changes',
      summary: 'The changes of the dossiers and CEP periods the caller may see, in the order recorded',
      description:
        'At least once: a change is never skipped and may come again after a crash (dedupe on id + version). `nextCursor` is always returned: keep it and ask again to follow.',
      security,
      request: { query: ChangesQuery },
      responses: {
        200: json(z.object({ items: z.array(Change), nextCursor: z.string() }), 'a page of changes'),
        ...errors(400, 401),
      },
    }),
    async (c) => {
      const { cursor, limit } = c.req.valid('query');
      // No cursor, or an empty one: from the beginning.
      const after = cursor === undefined || cursor === '' ? FEED_START : decodeFeedCursor(cursor);
      if (after === null) throw badCursor('query');
      const page = await readChanges(deps.orm.em.fork(), c.get('actor'), after, limit);
      return c.json({ items: page.items, nextCursor: encodeFeedCursor(page.next) }, 200);
    },
  );
  return app;
}

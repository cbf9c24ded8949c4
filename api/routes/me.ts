import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PartnerKind } from '../../domain/codes';
import { Siret } from '../../domain/schemas';
import { errors, json, router, security } from '../route-kit';

export const Me = z
  .object({
    admin: z.boolean(),
    partnerId: z.string().optional(),
    siret: z.string().optional(),
    kind: PartnerKind.optional(),
    region: z.string().optional(),
    name: z.string().optional(),
    /** The console's agent (email), when the console asks. */
    agent: z.string().optional(),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

/**
 * `GET /v1/me`: who the token belongs to, so a client (and the console) can say it; `GET
 * /v1/partenaires?siret=`: the names of registered partners (organisations, no personal data), so
 * that a SIRET reads as a name.
 */
export function meRoutes(deps: { orm: MikroORM }) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/partenaires',
      summary: 'The names of registered partners, by SIRET (up to 50 a call; unknown SIRETs are left out)',
      security,
      request: {
        query: z.object({
          siret: z
            .union([Siret, z.array(Siret).max(50)])
            .transform((v) => (Array.isArray(v) ? v : [v]))
            .meta({ description: 'one or more SIRETs: ?siret=...&siret=...' }),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(z.object({ siret: z.string(), nom: z.string(), type: PartnerKind })) }),
          'the partners found',
        ),
        ...errors(400, 401),
      },
    }),
    async (c) => {
      const sirets = [...new Set(c.req.valid('query').siret)];
      const rows = await deps.orm.em
        .fork()
        .getConnection()
        .execute<{ siret: string; name: string; kind: z.infer<typeof PartnerKind> }[]>(
          'select siret, name, kind from partners where siret = any(?::text[]) order by siret',
          [`{${sirets.join(',')}}`],
        );
      return c.json({ items: rows.map((r) => ({ siret: r.siret, nom: r.name, type: r.kind })) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'The partner (or the platform admin) the token belongs to',
      security,
      responses: {
        200: json(Me, 'the caller'),
        ...errors(401),
      },
    }),
    (c) => c.json(c.get('actor'), 200),
  );
  return app;
}

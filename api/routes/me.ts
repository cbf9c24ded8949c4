import { createRoute, z } from '@hono/zod-openapi';
import { PartnerKind } from '../../domain/codes';
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

/** `GET /v1/me`: who the token belongs to, so a client (and the console) can say it. */
export function meRoutes() {
  const app = router();
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

import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env';
import { errorResponses } from '../openapi-responses';

const Me = z
  .object({
    admin: z.boolean(),
    partnerId: z.string().optional(),
    siret: z.string().optional(),
    kind: z.string().optional(),
    region: z.string().optional(),
    name: z.string().optional(),
  })
  .meta({ id: 'Me' });

/** `GET /v1/me`: who the token belongs to, so a client (and the console) can say it. */
export function meRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'The partner (or the platform admin) the token belongs to',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'the caller', content: { 'application/json': { schema: Me } } },
        ...errorResponses(401),
      },
    }),
    (c) => c.json(c.get('actor'), 200),
  );
  return app;
}

import { OpenAPIHono, type z } from '@hono/zod-openapi';
import { ErrorBody } from '../domain/schemas';
import type { AppEnv } from './app-env';
import { validationHook } from './validation';

/**
 * The one kit every route file of the API is written with: a router whose invalid requests answer
 * 400 VALIDATION_ERROR, the bearer security of the `/v1` routes, JSON responses and error entries
 * for the OpenAPI document.
 */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** The `/v1` routes take a partner's (or the admin's) token as bearer. */
export const security = [{ bearer: [] }];

/** A JSON response of the OpenAPI document. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The OpenAPI entries of the error statuses a route may answer, all with the contract's error body. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, json(ErrorBody, 'error')]));

type Operation = { responses?: Record<string, unknown> };

/**
 * The statuses every `/v1` route may answer whatever it does: no or unknown token, a token past
 * its rate, an unexpected error (with its id), Temporal or PostgreSQL out of reach; and the body
 * limit for the JSON bodies. Added to each operation of the generated document that lacks them.
 */
export function withCommonErrors<D extends { paths?: object }>(doc: D): D {
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, object][]) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const operation = op as Operation;
      const statuses = [401, 429, 500, 503];
      if (method !== 'get' && path !== '/v1/dsn/imports') statuses.push(413);
      // The document is already generated: the error body by reference (its component `Error`).
      const missing = statuses.filter((s) => !(String(s) in (operation.responses ?? {})));
      operation.responses = {
        ...Object.fromEntries(
          missing.map((s) => [
            s,
            {
              description: 'error',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
          ]),
        ),
        ...operation.responses,
      };
    }
  }
  return doc;
}

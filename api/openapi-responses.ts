import { ErrorBody } from '../domain/schemas';

/** The OpenAPI entries of the error statuses a route may answer, all with the contract's error body. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'error', content: { 'application/json': { schema: ErrorBody } } },
    ]),
  );

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
      operation.responses = {
        ...errorResponses(...statuses.filter((s) => !(String(s) in (operation.responses ?? {})))),
        ...operation.responses,
      };
    }
  }
  return doc;
}

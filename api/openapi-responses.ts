import { ErrorBody } from '../domain/schemas';

/** The OpenAPI entries of the error statuses a route may answer, all with the contract's error body. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: 'error', content: { 'application/json': { schema: ErrorBody } } },
    ]),
  );

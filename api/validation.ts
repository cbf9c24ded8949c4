import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { type Issues, validationError } from './errors';

/** What a query parameter given twice says, where its route takes one value. */
export const REPEATED_QUERY = 'given more than once: send each query parameter once';

/**
 * Every request that fails its schema becomes a 400 VALIDATION_ERROR listing each problem. A query
 * parameter given twice (`?limit=5&limit=6`) reaches the schema as a list: where that fails, the
 * answer says so rather than what the list is not ("expected number, received NaN").
 */
export function validationHook(
  result: { success: boolean; error?: ZodError; target: string },
  c?: Context,
): void {
  if (result.success || !result.error) return;
  let error: Issues = result.error;
  if (result.target === 'query' && c) {
    // A list where one value is expected fails on its type (or on each form of a union); a route
    // that takes lists (the SIRETs of /v1/partenaires) fails otherwise, and keeps its message.
    const notAList = (i: object): boolean => {
      if (!('code' in i)) return false;
      if (i.code === 'invalid_type' || i.code === 'invalid_value') return true;
      const forms = (i as { errors?: object[][] }).errors;
      return i.code === 'invalid_union' && !!forms?.every((form) => form.some(notAList));
    };
    const repeated = (i: (typeof error.issues)[number]) =>
      notAList(i) && typeof i.path[0] === 'string' && (c.req.queries(i.path[0])?.length ?? 0) > 1;
    error = {
      issues: error.issues.map((i) => (repeated(i) ? { path: [i.path[0]!], message: REPEATED_QUERY } : i)),
    };
  }
  throw validationError(error, result.target === 'json' ? 'body' : result.target);
}

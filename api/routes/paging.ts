import { z } from '@hono/zod-openapi';
import { ApiError } from '../errors';

/** What the routes that page a record's history or a list share (dossiers, CEP periods). */

export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  cursor: z.string().max(64).optional().meta({ description: 'the nextCursor of the previous page' }),
});

/** A history cursor: the seq of the last entry served, opaque to partners. */
export const historyCursor = {
  encode: (seq: number) => Buffer.from(`seq:${seq}`).toString('base64url'),
  decode(cursor: string): number | null {
    const m = /^seq:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    return m ? Number(m[1]) : null;
  },
};

/** 400 for a cursor this API did not hand out, in the query or the body. */
export const badCursor = (where: 'query' | 'body') =>
  new ApiError('VALIDATION_ERROR', `invalid ${where}: cursor: not a cursor this API returned`, [
    { path: `${where}.cursor`, message: 'not a cursor this API returned' },
  ]);

/** The seq a history page starts after (0: the first page). */
export function historyStart(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const seq = historyCursor.decode(cursor);
  if (seq === null) throw badCursor('query');
  return seq;
}

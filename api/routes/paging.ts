import { z } from '@hono/zod-openapi';
import { ApiError } from '../errors';

/** What the routes of records share (dossiers, CEP periods): an event's size, history and list pages. */

/** The largest event a record takes (its JSON, as parsed). */
export const EVENT_MAX_BYTES = 16 * 1024;

/**
 * 413 for an event over EVENT_MAX_BYTES: far below Temporal's limits, whatever the body limit, as
 * each event is carried by its record's workflow (the largest dossier correction is ~5 KiB).
 */
export function limitEventSize(event: unknown, hint = ''): void {
  const size = Buffer.byteLength(JSON.stringify(event));
  if (size > EVENT_MAX_BYTES) {
    throw new ApiError(
      'PAYLOAD_TOO_LARGE',
      `an event is at most ${EVENT_MAX_BYTES} bytes of JSON; this one is ${size}${hint}`,
    );
  }
}

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

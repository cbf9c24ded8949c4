import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { Params, visibleSql } from './visibility';

/**
 * The change feed (CONTRACT.md, "Change feed and webhooks"): the changes a caller may see, in the
 * order the platform recorded them. A change is written with its record (db/dossier-read-model.ts,
 * db/cep-record.ts) and carries the parties that see it at that version: a dossier's organisme,
 * financeurs, region and remunerator (the rule of domain/authorization.ts), a period's operator.
 *
 * Order and completeness: rows are read by (transaction id, row id) and only below the oldest
 * transaction still running. A transaction that started earlier but commits later would otherwise
 * land behind a reader's cursor: here its rows are not offered until it is over, then they come
 * in order. A page's cursor (`next`) is its last item, or the one it was asked from when it has
 * none (CONTRACT.md: an empty page keeps it); `scanned`, the last row scanned visible or not, lets
 * a reader of its own (a webhook's delivery) skip what it has seen without rescanning.
 */

export interface Change {
  kind: 'DOSSIER' | 'CEP';
  id: string;
  version: number;
  type: string;
  date: string | null;
  receivedAt: string;
  source: string;
}

/** A position in the feed: (transaction id, row id); the start is (0, 0). */
export interface FeedCursor {
  tx: string;
  id: string;
}
export const FEED_START: FeedCursor = { tx: '0', id: '0' };

export function encodeFeedCursor(c: FeedCursor): string {
  return Buffer.from(`${c.tx}:${c.id}`).toString('base64url');
}

/** The largest transaction id (xid8) and row id (bigint) PostgreSQL reads (a cursor past them: 400). */
const MAX_XID8 = 2n ** 64n - 1n;
export const MAX_BIGINT = 2n ** 63n - 1n;

export function decodeFeedCursor(s: string): FeedCursor | null {
  const m = /^(\d{1,20}):(\d{1,20})$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
  if (!m || BigInt(m[1]!) > MAX_XID8 || BigInt(m[2]!) > MAX_BIGINT) return null;
  return { tx: m[1]!, id: m[2]! };
}

/** A page of the caller's changes after `after`, and where the next page starts. */
export async function readChanges(
  em: EntityManager,
  actor: Actor,
  after: FeedCursor,
  limit: number,
): Promise<{ items: Change[]; next: FeedCursor; scanned: FeedCursor }> {
  const params = new Params();
  // A dossier's situations are not for the party that only pays the trainee (CONTRACT.md,
  // "Trainee remuneration"): nor are the changes that found them. (Bind parameters in text order.)
  const sees = (beyondPay: boolean) => visibleSql(actor, 'c', params, { arrayContains: true, beyondPay });
  const dossiers = actor.admin ? 'true' : `${sees(false)} and (c.type <> 'SITUATION' or ${sees(true)})`;
  const periods = actor.admin ? 'true' : `c.operateur_siret = ${params.value(actor.siret)}`;
  const visibility = `((c.kind = 'DOSSIER' and ${dossiers}) or (c.kind = 'CEP' and ${periods}))`;
  const [row] = await em.getConnection().execute<
    {
      items: {
        kind: Change['kind'];
        entity_id: string;
        version: number;
        type: string;
        date: string | null;
        received_at: string;
        source: string;
        tx: string;
        id: string;
      }[];
      last_tx: string | null;
      last_id: string | null;
    }[]
  >(
    // The watermark written inline (stable within the statement): joined from a CTE, the planner
    // cannot see its value and walks the whole order index instead of a party's own.
    `with page as (
       select c.kind, c.entity_id, c.version, c.type, c.date, c.received_at, c.source, c.tx::text as tx, c.id::text as id
         from changes c
        where (c.tx, c.id) > (?::text::xid8, ?::bigint) and c.tx < pg_snapshot_xmin(pg_current_snapshot())
          and ${visibility}
        order by c.tx, c.id limit ?
     ),
     scanned as (
       select c.tx::text as tx, c.id::text as id from changes c
        where c.tx < pg_snapshot_xmin(pg_current_snapshot()) order by c.tx desc, c.id desc limit 1
     )
     select coalesce((select json_agg(p order by p.tx::xid8, p.id::bigint) from page p), '[]'::json) as items,
            (select tx from scanned) as last_tx, (select id from scanned) as last_id`,
    [after.tx, after.id, ...params.list, limit],
  );
  const items = row!.items;
  const full = items.length === limit;
  const lastItem = items[items.length - 1];
  const next: FeedCursor = lastItem ? { tx: lastItem.tx, id: lastItem.id } : after;
  // A full page ends at its last row; a short one has seen everything below the watermark.
  const scanned: FeedCursor = full
    ? next
    : row!.last_tx !== null && row!.last_id !== null && greater(row!.last_tx, row!.last_id, after)
      ? { tx: row!.last_tx, id: row!.last_id }
      : next;
  return {
    items: items.map((r) => ({
      kind: r.kind,
      id: r.entity_id,
      version: r.version,
      type: r.type,
      date: r.date,
      receivedAt: new Date(r.received_at).toISOString(),
      source: r.source,
    })),
    next,
    scanned,
  };
}

const greater = (tx: string, id: string, than: FeedCursor) =>
  BigInt(tx) > BigInt(than.tx) || (BigInt(tx) === BigInt(than.tx) && BigInt(id) > BigInt(than.id));

/** Where the feed stands now: the last row below the oldest running transaction (the start if none). */
export async function feedHead(em: EntityManager): Promise<FeedCursor> {
  const [row] = await em.getConnection().execute<{ tx: string; id: string }[]>(
    `select c.tx::text as tx, c.id::text as id from changes c
      where c.tx < pg_snapshot_xmin(pg_current_snapshot()) order by c.tx desc, c.id desc limit 1`,
  );
  return row ? { tx: row.tx, id: row.id } : FEED_START;
}

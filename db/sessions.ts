import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sha256Hex } from '../infra/canonical-hash';

/**
 * Server-side sessions: the cookie holds a random id, the database its hash, what it is for
 * (`kind`), who it is (`subject`) and its expiry, so that every API instance knows it and signing
 * out (or its expiry) ends it everywhere.
 */
export async function createSession(
  em: EntityManager,
  kind: string,
  subject: string,
  ttlMs: number,
): Promise<{ id: string; expiresAt: Date }> {
  const expiresAt = new Date(Date.now() + ttlMs);
  return { id: await createDataSession(em, kind, subject, null, ttlMs, ttlMs), expiresAt };
}

/** The subject of a live session of that kind, or null (unknown, expired or ended). */
export async function findSession(em: EntityManager, kind: string, id: string): Promise<string | null> {
  const rows = await em
    .getConnection()
    .execute<{ subject: string }[]>(
      'select subject from sessions where id_hash = ? and kind = ? and expires_at > now()',
      [sha256Hex(id), kind],
    );
  return rows[0]?.subject ?? null;
}

/** End a session at once; what it held (its data), or null. */
export async function endSession(em: EntityManager, id: string): Promise<unknown> {
  const rows = await em
    .getConnection()
    .execute<{ data: unknown }[]>('delete from sessions where id_hash = ? returning data', [sha256Hex(id)]);
  return rows[0]?.data ?? null;
}

/**
 * A session with data and two expiries: idle (`idleMs` after its last use) under an absolute one
 * (`absoluteMs` after it began). The console's agents and admin, a sign-in under way.
 */
export async function createDataSession(
  em: EntityManager,
  kind: string,
  subject: string,
  data: unknown,
  idleMs: number,
  absoluteMs: number,
): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  const now = Date.now();
  const absolute = new Date(now + absoluteMs);
  const conn = em.getConnection();
  await conn.execute('delete from sessions where expires_at < now()');
  await conn.execute(
    `insert into sessions (id_hash, kind, subject, expires_at, absolute_expires_at, data)
     values (?, ?, ?, ?, ?, ?::jsonb)`,
    [
      sha256Hex(id),
      kind,
      subject,
      new Date(Math.min(now + idleMs, absolute.getTime())).toISOString(),
      absolute.toISOString(),
      data === null ? null : JSON.stringify(data),
    ],
  );
  return id;
}

/**
 * A live session's data, its idle expiry pushed back by `idleMs` (never past its absolute one), in
 * one statement; null when unknown, expired or ended.
 */
export async function useDataSession<T>(
  em: EntityManager,
  kind: string,
  id: string,
  idleMs: number,
): Promise<{ subject: string; data: T } | null> {
  const rows = await em.getConnection().execute<{ subject: string; data: T }[]>(
    `update sessions
        set expires_at = least(now() + ? * interval '1 millisecond', coalesce(absolute_expires_at, expires_at))
      where id_hash = ? and kind = ? and expires_at > now()
      returning subject, data`,
    [idleMs, sha256Hex(id), kind],
  );
  return rows[0] ?? null;
}

/** A one-time session (a sign-in under way): its data, and it is gone. */
export async function takeDataSession<T>(em: EntityManager, kind: string, id: string): Promise<T | null> {
  const rows = await em
    .getConnection()
    .execute<{ data: T }[]>(
      'delete from sessions where id_hash = ? and kind = ? and expires_at > now() returning data',
      [sha256Hex(id), kind],
    );
  return rows[0]?.data ?? null;
}

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
  const id = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  const conn = em.getConnection();
  await conn.execute('delete from sessions where expires_at < now()');
  await conn.execute('insert into sessions (id_hash, kind, subject, expires_at) values (?, ?, ?, ?)', [
    sha256Hex(id),
    kind,
    subject,
    expiresAt.toISOString(),
  ]);
  return { id, expiresAt };
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

export async function endSession(em: EntityManager, id: string): Promise<void> {
  await em.getConnection().execute('delete from sessions where id_hash = ?', [sha256Hex(id)]);
}

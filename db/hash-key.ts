import type { EntityManager } from '@mikro-orm/postgresql';

/** Where the platform keeps the fingerprint of its NIR hash key. */
export const HASH_KEY_SETTING = 'nir-hash-key';

/** A process, a file or a month whose NIR hash key is not the platform's. */
export class HashKeyMismatchError extends Error {}

/**
 * The SQL that records the platform's hash key fingerprint on first use and answers the one
 * recorded (bindings: the fingerprint). A process compares the answer with its own.
 */
export const ENSURE_HASH_KEY_SQL = `with first as (
    insert into platform_settings (key, value) values ('${HASH_KEY_SETTING}', $1) on conflict do nothing returning value
  )
  select coalesce((select value from first), (select value from platform_settings where key = '${HASH_KEY_SETTING}')) as value`;

/**
 * The recorded fingerprint, read alone: when another process records it at the same instant, the
 * statement above waits for it and answers null (its snapshot predates that insert); read again.
 */
export const HASH_KEY_SQL = `select value from platform_settings where key = '${HASH_KEY_SETTING}'`;

export function mismatch(mine: string, platform: string): HashKeyMismatchError {
  return new HashKeyMismatchError(
    `this process hashes NIRs with another key than the platform's (fingerprint ${mine}, the platform's ${platform}): ` +
      'set the same AGORA_HASH_KEY (or AGORA_DATA_KEY, when no AGORA_HASH_KEY was ever set) as the workers and the API',
  );
}

/** At a process's start: the platform's fingerprint recorded on first use, and ours compared to it. */
export async function ensureHashKey(em: EntityManager, mine: string): Promise<void> {
  const conn = em.getConnection();
  let [row] = await conn.execute<{ value: string | null }[]>(ENSURE_HASH_KEY_SQL.replace('$1', '?'), [mine]);
  if (row?.value == null) [row] = await conn.execute<{ value: string | null }[]>(HASH_KEY_SQL);
  if (row?.value !== mine) throw mismatch(mine, row?.value ?? 'none');
}

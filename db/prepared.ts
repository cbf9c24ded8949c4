import type { EntityManager } from '@mikro-orm/postgresql';

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}
interface KnexClient {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(connection: PgClient): Promise<void>;
}

/** SQL written with `?` placeholders (as for MikroORM's execute), numbered `$1, $2, ...` for pg. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Run a named prepared statement on a connection of the ORM's pool, outside any transaction:
 * PostgreSQL parses and plans it once per connection, and the values travel as parameters
 * instead of being escaped into the text (the read model's hot path; docs/PERFORMANCE.md,
 * "Choices the figures made"). `text` uses `$n` placeholders; the name must be unique to the text.
 */
export async function runPrepared<T>(
  em: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = em.getConnection().getKnex().client as unknown as KnexClient;
  const connection = await client.acquireConnection();
  try {
    return (await connection.query({ name, text, values })).rows as T[];
  } finally {
    await client.releaseConnection(connection);
  }
}

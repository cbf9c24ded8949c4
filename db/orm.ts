import { MikroORM } from '@mikro-orm/postgresql';
import type { Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities';
import { migrationsList } from './migrations/index';

export function ormConfig(databaseUrl: string, opts: { poolMax?: number } = {}): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
    },
    pool: { min: 0, max: opts.poolMax ?? 10 },
    // Fail fast when PostgreSQL is down so requests answer 503 instead of hanging.
    driverOptions: { connection: { connectionTimeoutMillis: 3000 } },
    debug: false,
    allowGlobalContext: false,
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: false },
  };
}

export async function openOrm(databaseUrl: string, opts: { poolMax?: number } = {}): Promise<MikroORM> {
  return MikroORM.init(ormConfig(databaseUrl, opts));
}

/** Apply the committed migrations (start script and tests; never on import). */
export async function migrate(orm: MikroORM): Promise<void> {
  await orm.getMigrator().up();
}

export type { MikroORM };

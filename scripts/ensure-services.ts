import { loadEnv } from '../infra/env';
import { ensurePostgres } from './postgres';
import { ensureTools } from './tools';

// What the tests need before they run: the Temporal binaries and a PostgreSQL server.
const log = (m: string) => console.log(`[agora] ${m}`);
ensureTools(log);
await ensurePostgres(process.env.TEST_DATABASE_URL ?? loadEnv().DATABASE_URL, log);
log('services ready');

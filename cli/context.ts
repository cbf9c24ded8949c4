import { Client, Connection } from '@temporalio/client';
import { migrate, openOrm } from '../db/orm';
import { loadEnv } from '../infra/env';
import { existingSecret } from '../infra/local-secrets';
import { connectionOptions, dataConverter } from '../infra/temporal';

/** What every command of the CLI shares: the environment, the database, Temporal, the output. */

/** A command's arguments, as `agora` parsed them. */
export interface Args {
  values: {
    json?: boolean;
    siret?: string;
    name?: string;
    kind?: string;
    region?: string;
    reseau?: string;
    prefix?: string[];
    status?: string;
    limit?: string;
    month?: string;
    format?: string;
    out?: string;
    dossiers?: string;
    by?: string;
    follow?: boolean;
    cursor?: string;
    token?: string;
    url?: string;
  };
  positionals: string[];
  /** The second word: `show` in `agora dossier show ID`. */
  command: string | undefined;
  /** The third word: `ID` in `agora dossier show ID`. */
  arg: string | undefined;
  /** --json: machine-readable output. */
  json: boolean;
}

export type Command = (args: Args) => Promise<number>;

/** A mistake in the command line: exit code 2, with the message. */
export class UsageError extends Error {}

/** The environment, as the API and the workers read it. */
export const env = loadEnv();

export async function withOrm<T>(fn: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<T>): Promise<T> {
  const orm = await openOrm(env.DATABASE_URL, { poolMax: 2 });
  try {
    await migrate(orm);
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

/**
 * The data key: the environment's, else the one `npm start` made in .data/. Never a new one: a
 * DSN month hashed under a key no dossier uses would turn every waiting point into SANS_EMPLOI.
 */
export const dataKey = (): string => {
  const key = env.AGORA_DATA_KEY ?? existingSecret('data-key');
  if (!key) {
    throw new UsageError(
      'no data key: set AGORA_DATA_KEY (and AGORA_HASH_KEY) as the workers and API have them, or run `npm start` once on this machine',
    );
  }
  return key;
};

export async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect(connectionOptions(env));
  const key = dataKey();
  const client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter({ AGORA_DATA_KEY: key, AGORA_DATA_KEYS_OLD: env.AGORA_DATA_KEYS_OLD }),
  });
  try {
    return await fn(client);
  } finally {
    await connection.close();
  }
}

export function print(value: unknown, json: boolean, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

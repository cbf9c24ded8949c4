import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { DATA_DIR } from '../infra/paths';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '']);

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function adminUrl(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

function sh(cmd: string, args: string[], asPostgres = false): boolean {
  const root = process.getuid?.() === 0;
  const [c, a] = asPostgres && root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  return r.status === 0;
}

function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin');
  return null;
}

async function waitFor(url: string, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(url)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Make sure a PostgreSQL answers at DATABASE_URL's server: use the running one; else start the
 * machine's cluster the way .ci/run would; else create a local cluster under .data/pg (installing
 * Debian's postgresql package when there is none and we are root).
 */
export async function ensurePostgres(
  databaseUrl: string,
  log: (m: string) => void = console.log,
): Promise<void> {
  const admin = adminUrl(databaseUrl);
  if (await reachable(admin)) return;
  const u = new URL(databaseUrl);
  if (!LOCAL_HOSTS.has(u.hostname)) throw new Error(`PostgreSQL at ${u.host} is not reachable`);

  if (existsSync('/etc/postgresql')) {
    for (const version of readdirSync('/etc/postgresql')) {
      log(`starting the machine's PostgreSQL ${version} cluster`);
      sh('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
    }
    if (await waitFor(admin, 15)) return;
  }

  let bin = pgBinDir();
  if (!bin && process.getuid?.() === 0) {
    log('installing PostgreSQL from Debian packages');
    sh('apt-get', ['update', '-qq']);
    sh('apt-get', ['install', '-y', '-qq', 'postgresql']);
    bin = pgBinDir();
    if (existsSync('/etc/postgresql')) {
      for (const version of readdirSync('/etc/postgresql')) {
        sh('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
      }
      if (await waitFor(admin, 15)) return;
    }
  }
  if (!bin) throw new Error('no PostgreSQL server found or installable: set DATABASE_URL to a reachable one');

  const dir = join(DATA_DIR, 'pg');
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log(`creating a local PostgreSQL cluster under ${dir}`);
    mkdirSync(DATA_DIR, { recursive: true });
    // The postgres user (as root, initdb runs as it) must reach the cluster's folder.
    if (process.getuid?.() === 0) chmodSync(DATA_DIR, 0o755);
  }
  const port = Number(u.port || '5432');
  log(`starting the local PostgreSQL cluster of ${dir} on port ${port}`);
  await new LocalCluster(dir, port).start();
}

/** Create the database of DATABASE_URL when missing (optionally dropping it first, for tests). */
export async function ensureDatabase(databaseUrl: string, opts: { fresh?: boolean } = {}): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name ${name}`);
  const client = new pg.Client({ connectionString: adminUrl(databaseUrl), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    if (opts.fresh) await client.query(`drop database if exists "${name}" with (force)`);
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL cluster of the project's own (`.data/pg` when none runs; fault tests stop and
 * start theirs): initdb in `dir`,
 * listening on 127.0.0.1:`port`, trust authentication, user `postgres`.
 */
export class LocalCluster {
  private readonly bin: string;
  private readonly asPostgres = process.getuid?.() === 0;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    const bin = pgBinDir();
    if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
    this.bin = bin;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/agora`;
  }

  async start(): Promise<void> {
    if (!existsSync(join(this.dir, 'PG_VERSION'))) {
      mkdirSync(this.dir, { recursive: true });
      if (this.asPostgres) {
        const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
        const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
        chownSync(this.dir, uid, gid);
      }
      if (
        !sh(
          join(this.bin, 'initdb'),
          ['-D', this.dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8'],
          this.asPostgres,
        )
      ) {
        throw new Error(`initdb failed in ${this.dir}`);
      }
    }
    sh(
      join(this.bin, 'pg_ctl'),
      [
        '-D',
        this.dir,
        '-l',
        join(this.dir, 'server.log'),
        '-o',
        `-p ${this.port} -c listen_addresses=127.0.0.1 -k /tmp`,
        'start',
      ],
      this.asPostgres,
    );
    if (!(await waitFor(adminUrl(this.url), 30)))
      throw new Error(`PostgreSQL did not start: ${this.dir}/server.log`);
  }

  /** Stop at once (connections cut), as a crash or a failover would. */
  stop(): void {
    sh(join(this.bin, 'pg_ctl'), ['-D', this.dir, 'stop', '-m', 'immediate'], this.asPostgres);
  }
}

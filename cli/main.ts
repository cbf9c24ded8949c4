import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CreatePartnerBody } from '../domain/schemas';
import { toView } from '../domain/dossier-view';
import { listDossiers } from '../db/dossier-read-model';
import { migrate, openOrm } from '../db/orm';
import {
  PartnerExistsError,
  PrefixTakenError,
  addToken,
  createPartner,
  listPartners,
  revokeToken,
} from '../db/partners';
import { loadEnv } from '../infra/env';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { ADMIN } from '../domain/authorization';
import { RegionCode } from '../domain/codes';
import { recordAccess } from '../db/audit';
import { exportInsertion } from '../db/insertion-export';
import { type InsertionFile, runDir, writeInsertionFile, writeManifest } from '../db/insertion-file';
import { DATA_DIR } from '../scripts/paths';
import { isMonth } from '../domain/dates';
import { ImportFormatError, listMonths } from '../db/dsn-import';
import { loadDsnMonth } from '../api/dsn-loader';
import pg from 'pg';
import { connectionOptions, dataConverter } from '../infra/temporal';
import { existingSecret } from '../scripts/secrets';
import { loadDemo } from './demo';
import { createDossierGateway } from '../api/dossier-gateway';
import { ApiError } from '../api/errors';
import { createProjector } from '../db/projection-intents';
import { createRecordStore } from '../db/dossier-records';
import { sealer } from '../infra/sealing';
import type { HistoryEntry } from '../domain/schemas';
import { describeSetup, setupNamespace } from '../infra/namespace-setup';

const HELP = `agora: the agora-flow operator CLI

Usage: npx agora <command> [options]

Commands:
  setup                                                     make TEMPORAL_NAMESPACE ready: search attributes,
                                                            Schedules, retention checked (idempotent); where
                                                            the credentials do not allow it, exits 1 with the
                                                            exact temporal/tcld commands to run
  partner create --siret S --name N --kind K [--region R] [--prefix P ...]
                                                            create a partner (owning the dossierId
                                                            prefixes P); prints its token once
  partner list                                              list the partners and their tokens
  partner token add PARTNER_ID                              another token for the partner (rotation)
  partner token revoke PARTNER_ID TOKEN_ID                  revoke a token
  dossier show ID                                           a dossier's current state (its workflow, else its record)
  dossier history ID                                        a dossier's accepted events, oldest first
  dossier list [--status S] [--region R] [--limit N]        dossiers from the read model, newest first
  dsn import FILE --month YYYY-MM [--format csv|ndjson]    load a DSN month (replaces it), with progress
  dsn months                                                the loaded DSN months
  demo [--dossiers N]                                       load the demo data set through the running API
                                                            (partners, DSN months, N dossiers; default 1500)
  export insertion --region XX [--out FILE|-]               a region's insertion file (all regions without
                                                            --region), with progress; by default under
                                                            .data/exports/insertion/DATE/ with its manifest

Every command reads the same environment as the API (DATABASE_URL, TEMPORAL_ADDRESS, ...).
Options: --json for machine-readable output, --help for this text.`;

class UsageError extends Error {}

const env = loadEnv();

async function withOrm<T>(fn: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<T>): Promise<T> {
  const orm = await openOrm(env.DATABASE_URL, { poolMax: 2 });
  try {
    await migrate(orm);
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

/** The data key: the environment's, else the one `npm start` keeps in .data/. */
/**
 * The data key: the environment's, else the one `npm start` made in .data/. Never a new one: a
 * DSN month hashed under a key no dossier uses would turn every waiting point into SANS_EMPLOI.
 */
const dataKey = (): string => {
  const key = env.AGORA_DATA_KEY ?? existingSecret('data-key');
  if (!key) {
    throw new UsageError(
      'no data key: set AGORA_DATA_KEY (and AGORA_HASH_KEY) as the workers and API have them, or run `npm start` once on this machine',
    );
  }
  return key;
};

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
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

function print(value: unknown, json: boolean, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      siret: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
      region: { type: 'string' },
      prefix: { type: 'string', multiple: true },
      status: { type: 'string' },
      limit: { type: 'string' },
      month: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      dossiers: { type: 'string' },
    },
  });
  const [group, command, arg] = positionals;
  if (values.help || !group) {
    console.log(HELP);
    return 0;
  }
  const json = values.json ?? false;
  switch (`${group} ${command ?? ''}`.trim()) {
    case 'setup':
      return withClient(async (client) => {
        const report = await setupNamespace({
          connection: client.connection,
          client,
          namespace: env.TEMPORAL_NAMESPACE,
          taskQueue: env.TEMPORAL_TASK_QUEUE,
        });
        print(report, json, () => describeSetup(report));
        return report.problems.length ? 1 : 0;
      });
    case 'partner create': {
      const parsed = CreatePartnerBody.safeParse({
        siret: values.siret,
        name: values.name,
        kind: values.kind,
        ...(values.region ? { region: values.region } : {}),
        ...(values.prefix?.length ? { prefixes: values.prefix } : {}),
      });
      if (!parsed.success) {
        throw new UsageError(
          parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'),
        );
      }
      return withOrm(async (orm) => {
        try {
          const { partner, token } = await createPartner(orm.em.fork(), parsed.data);
          print({ id: partner.id, siret: partner.siret, kind: partner.kind, token }, json, () =>
            [
              `partner ${partner.id} created (${partner.kind} ${partner.siret})`,
              `token (shown once): ${token}`,
            ].join('\n'),
          );
          return 0;
        } catch (e) {
          if (e instanceof PartnerExistsError)
            throw new UsageError(`a partner with SIRET ${parsed.data.siret} already exists`);
          if (e instanceof PrefixTakenError) throw new UsageError(e.message);
          throw e;
        }
      });
    }
    case 'partner token': {
      const [, , action, partnerId, tokenId] = positionals;
      if (action === 'add' && partnerId) {
        return withOrm(async (orm) => {
          const added = await addToken(orm.em.fork(), partnerId);
          if (!added) throw new UsageError(`no partner ${partnerId}`);
          print(
            { id: added.tokenId, token: added.token },
            json,
            () => `token ${added.tokenId} (shown once): ${added.token}`,
          );
          return 0;
        });
      }
      if (action === 'revoke' && partnerId && tokenId) {
        return withOrm(async (orm) => {
          if (!(await revokeToken(orm.em.fork(), partnerId, tokenId))) {
            throw new UsageError(`partner ${partnerId} has no token ${tokenId}`);
          }
          print({ revoked: tokenId }, json, () => `token ${tokenId} revoked`);
          return 0;
        });
      }
      throw new UsageError(
        'usage: agora partner token add PARTNER_ID | agora partner token revoke PARTNER_ID TOKEN_ID',
      );
    }
    case 'partner list':
      return withOrm(async (orm) => {
        const partners = await listPartners(orm.em.fork());
        print(
          partners,
          json,
          () =>
            partners
              .map(
                (p) =>
                  `${p.id}  ${p.siret}  ${p.kind.padEnd(20)} ${p.region ?? '--'}  ${p.name}  (${p.tokens.filter((t) => !t.revokedAt).length} live tokens)`,
              )
              .join('\n') || 'no partners',
        );
        return 0;
      });
    case 'dossier show':
    case 'dossier history': {
      if (!arg) throw new UsageError(`usage: agora dossier ${command} ID`);
      return withClient((client) =>
        withOrm(async (orm) => {
          const keys = { ...env, AGORA_DATA_KEY: dataKey() };
          const gateway = createDossierGateway({
            client,
            taskQueue: env.TEMPORAL_TASK_QUEUE,
            projector: createProjector({ orm, hashNir: nirHasher(keys), seal: sealer(keys).seal }),
            records: createRecordStore(orm, sealer(keys).open),
            vouchKey: vouchKey(keys),
          });
          try {
            if (command === 'show') {
              const view = toView(await gateway.state(arg), { fullNir: false });
              print(view, json, () => JSON.stringify(view, null, 2));
            } else {
              const events: HistoryEntry[] = [];
              for (let afterSeq = 0; ;) {
                const page = await gateway.history(arg, { afterSeq, limit: 1000 });
                events.push(...page.events);
                if (page.nextSeq === null) break;
                afterSeq = page.nextSeq;
              }
              print(events, json, () =>
                events
                  .map(
                    (e) =>
                      `${String(e.seq).padStart(4)}  ${e.date}  ${e.type.padEnd(14)} ${e.source}  ${e.receivedAt}${e.confirmation ? '  (confirmation)' : ''}`,
                  )
                  .join('\n'),
              );
            }
            return 0;
          } catch (e) {
            if (e instanceof ApiError && e.code === 'NOT_FOUND') {
              console.error(`no dossier ${arg}`);
              return 1;
            }
            throw e;
          }
        }),
      );
    }
    case 'dossier list':
      return withOrm(async (orm) => {
        const limit = Number(values.limit ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          throw new UsageError('--limit takes 1 to 500');
        const page = await listDossiers(
          orm.em.fork(),
          { admin: true },
          {
            limit,
            ...(values.status ? { status: values.status as never } : {}),
            ...(values.region ? { region: values.region as never } : {}),
          },
        );
        print(
          page,
          json,
          () =>
            page.items
              .map(
                (d) =>
                  `${d.dossierId.padEnd(24)} ${d.status.padEnd(22)} ${d.action.region} ${d.action.dispositif} v${d.version}`,
              )
              .join('\n') || 'no dossiers',
        );
        return 0;
      });
    case 'dsn import': {
      const file = arg;
      const mois = values.month ?? '';
      if (!file) throw new UsageError('usage: agora dsn import FILE --month YYYY-MM');
      if (!isMonth(mois)) throw new UsageError('--month takes a month YYYY-MM');
      const format = (values.format ?? (/\.(nd)?jsonl?$|\.ndjson$/i.test(file) ? 'ndjson' : 'csv')) as
        'csv' | 'ndjson';
      if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format takes csv or ndjson');
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      let read = 0;
      const started = Date.now();
      const tty = process.stderr.isTTY;
      const progress = (lines: number, rejected: number, done = false) => {
        const pct = size ? Math.min(100, Math.round((read / size) * 100)) : 100;
        const rate = Math.round(lines / Math.max(0.001, (Date.now() - started) / 1000));
        const text = `${mois}: ${pct}% ${lines.toLocaleString('en')} lines, ${rejected} rejected, ${rate.toLocaleString('en')} lines/s`;
        if (tty) process.stderr.write(`\r${text}${done ? '\n' : ''}`);
        else if (done || lines % 200_000 === 0) process.stderr.write(`${text}\n`);
      };
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          read += chunk.length;
          cb(null, chunk);
        },
      });
      return withClient(async (client) => {
        try {
          const result = await loadDsnMonth(
            {
              client,
              databaseUrl: env.DATABASE_URL,
              taskQueue: env.TEMPORAL_TASK_QUEUE,
              hashNir: nirHasher({ AGORA_DATA_KEY: dataKey(), AGORA_HASH_KEY: env.AGORA_HASH_KEY }),
            },
            {
              mois,
              format,
              source: createReadStream(file).pipe(counter),
              onProgress: ({ lines, rejected }) => progress(lines, rejected),
            },
          );
          read = size;
          progress(result.lignes, result.rejetsTotal, true);
          print(
            {
              mois: result.mois,
              lignes: result.lignes,
              rejets: result.rejets,
              rejetsTotal: result.rejetsTotal,
            },
            json,
            () =>
              [
                `${result.mois}: ${result.lignes} lines loaded, ${result.rejetsTotal} rejected; waiting dossiers are being woken`,
                ...result.rejets.slice(0, 20).map((r) => `  line ${r.ligne}: ${r.message}`),
                ...(result.rejetsTotal > 20
                  ? [`  ... and ${result.rejetsTotal - 20} more (--json lists up to 1000)`]
                  : []),
              ].join('\n'),
          );
          return 0;
        } catch (e) {
          if (e instanceof ImportFormatError) throw new UsageError(e.message);
          throw e;
        }
      });
    }
    case 'dsn months': {
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        const months = await listMonths(async (sql) => (await client.query(sql)).rows);
        print(
          months,
          json,
          () =>
            months
              .map((m) => `${m.mois}  ${String(m.lignes).padStart(10)} lines  loaded ${m.loadedAt}`)
              .join('\n') || 'no months loaded',
        );
        return 0;
      } finally {
        await client.end();
      }
    }
    case 'demo': {
      const count = Number(values.dossiers ?? 1500);
      if (!Number.isInteger(count) || count < 1 || count > 100_000) {
        throw new UsageError('--dossiers takes a number of dossiers, 1 to 100000');
      }
      const adminToken = env.AGORA_ADMIN_TOKEN ?? existingSecret('admin-token');
      if (!adminToken) throw new UsageError('no admin token: set AGORA_ADMIN_TOKEN, or run `npm start` once');
      const base = `http://127.0.0.1:${env.PORT}`;
      const tty = process.stderr.isTTY;
      let last = '';
      const result = await loadDemo({
        base,
        adminToken,
        count,
        onProgress: (p) => {
          const text = `demo: ${p.phase} ${p.done}/${p.total}`;
          if (tty) process.stderr.write(`\r${text}   `);
          else if (p.phase !== last || p.done === p.total) process.stderr.write(`${text}\n`);
          last = p.phase;
        },
      }).catch((e: unknown) => {
        if ((e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') {
          throw new Error(`no API answers on ${base}: start the stack first (npm start)`);
        }
        throw e;
      });
      if (tty) process.stderr.write('\n');
      print({ ...result, partners: Object.keys(result.partners) }, json, () =>
        [
          `demo loaded: ${result.dossiers} dossiers, ${result.events} events, ${result.months} DSN months`,
          `open ${base}/console and sign in with a partner token, e.g. France Travail:`,
          `  ${result.partners['france-travail']}`,
          `or Région Auvergne-Rhône-Alpes: ${result.partners['region-84']}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'export insertion': {
      const regions = values.region ? [values.region] : RegionCode.options;
      if (!regions.every((r) => RegionCode.safeParse(r).success)) {
        throw new UsageError(`--region: not a region code (one of ${RegionCode.options.join(', ')})`);
      }
      if (values.out && regions.length !== 1) throw new UsageError('--out needs one --region');
      const pseudo = exportPseudonymizer({ AGORA_DATA_KEY: dataKey(), AGORA_HASH_KEY: env.AGORA_HASH_KEY });
      const tty = process.stderr.isTTY;
      const progress = (region: string, rows: number, done = false) => {
        const text = `region ${region}: ${rows.toLocaleString('en')} rows${done ? ', done' : ''}`;
        if (tty) process.stderr.write(`\r${text}${done ? '\n' : ''}`);
        else if (done) process.stderr.write(`${text}\n`);
      };
      return withOrm(async (orm) => {
        if (values.out) {
          const region = regions[0]!;
          const file = await exportInsertion({
            databaseUrl: env.DATABASE_URL,
            region,
            actor: ADMIN,
            pseudo,
            onRows: (rows) => progress(region, rows),
          });
          await recordAccess(orm.em.fork(), ADMIN, 'EXPORT', null, { file: 'insertion', region, via: 'cli' });
          await pipeline(file.stream, values.out === '-' ? process.stdout : createWriteStream(values.out));
          progress(region, (await file.done).rows, true);
          return 0;
        }
        const exportDir = env.AGORA_EXPORT_DIR ?? join(DATA_DIR, 'exports');
        const date = new Date().toISOString().slice(0, 10);
        const files: InsertionFile[] = [];
        for (const region of regions) {
          const f = await writeInsertionFile({
            databaseUrl: env.DATABASE_URL,
            exportDir,
            date,
            region,
            actor: ADMIN,
            pseudo,
            onRows: (rows) => progress(region, rows),
          });
          await recordAccess(orm.em.fork(), ADMIN, 'EXPORT', null, {
            file: 'insertion',
            region,
            rows: f.rows,
            via: 'cli',
          });
          progress(region, f.rows, true);
          files.push(f);
        }
        const manifest = await writeManifest(exportDir, date, files);
        print({ manifest, files }, json, () =>
          [
            ...files.map(
              (f) => `${join(runDir(exportDir, date), f.file)}  ${f.rows} rows  sha256 ${f.sha256}`,
            ),
            `manifest: ${manifest}`,
          ].join('\n'),
        );
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown command: ${positionals.join(' ')}\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`agora: ${(e as Error).message}`);
      process.exit(2);
    }
    console.error(`agora: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

import { nirKey } from '../domain/nir';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PartnerExistsError, createPartner } from '../db/partners';
import { FAILURE_CONVERTER_PATH } from '../infra/temporal';
import { DATA_DIR } from '../infra/paths';
import { startDevServer } from '../scripts/temporal-server';
import { ensureTools } from '../scripts/tools';

/** The data key of every benchmark (its data is thrown away), and the env that carries it. */
export const BENCH_KEY = Buffer.alloc(32, 3).toString('base64');
export const BENCH_ENV = { AGORA_DATA_KEY: BENCH_KEY, AGORA_DATA_KEYS_OLD: undefined };

/**
 * A Temporal dev server of the benchmark's own, headless, on a random port from `basePort`, its
 * log under .data/bench/ (`dbFile`: persisted in that SQLite file, otherwise in memory).
 */
export async function benchTemporal(opts: { basePort: number; logName: string; dbFile?: string }) {
  const port = opts.basePort + Math.floor(Math.random() * 1000);
  const server = await startDevServer({
    temporalCli: ensureTools().temporal,
    port,
    headless: true,
    logFile: join(DATA_DIR, 'bench', opts.logName),
    ...(opts.dbFile ? { dbFile: opts.dbFile } : {}),
  });
  return { server, port, address: `127.0.0.1:${port}` };
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
const require = createRequire(import.meta.url);

/** The platform's workflow code and the raw baseline's, each bundled once for a benchmark's workers. */
export function benchBundles() {
  return Promise.all([
    bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows/index.ts'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: quietLogger,
    }),
    bundleWorkflowCode({ workflowsPath: require.resolve('./raw-workflow.ts'), logger: quietLogger }),
  ]);
}

/** The financeur the benchmarks' dossiers name: a registered partner of a funding kind, as the API requires. */
export const BENCH_FINANCEUR = '23840001500018';

export async function ensureBenchFinanceur(orm: MikroORM): Promise<void> {
  try {
    await createPartner(orm.em.fork(), {
      siret: BENCH_FINANCEUR,
      name: 'Région (bench)',
      kind: 'REGION',
      region: '84',
    });
  } catch (e) {
    if (!(e instanceof PartnerExistsError)) throw e;
  }
}

/** The benchmarks' trainee (a valid NIR) and a creation body funded by the bench financeur. */
export function benchCreation(dossierId: string, eventId: string): Record<string, unknown> {
  const n13 = '1800575123456';
  const nir = `${n13}${String(nirKey(n13)).padStart(2, '0')}`;
  return {
    eventId,
    dossierId,
    date: '2026-01-15',
    stagiaire: { nir, nom: 'Bench', prenom: 'Mark', dateNaissance: '1980-05-02' },
    organisme: { siret: '12345678200010', raisonSociale: 'OF' },
    action: {
      intitule: 'T',
      dispositif: 'PRF',
      objectif: 'CERTIFIANTE',
      region: '84',
      dateDebutPrevue: '2026-02-01',
      dateFinPrevue: '2026-09-30',
    },
    financements: [{ financeurSiret: BENCH_FINANCEUR, montantEngage: 100 }],
  };
}

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PartnerExistsError, createPartner } from '../db/partners';
import { nirKey } from '../domain/nir';
import { workflowBundleOptions } from '../worker/bundle-options';
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
    bundleWorkflowCode(workflowBundleOptions()),
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

/** The benchmarks' trainee: a valid NIR. */
export const BENCH_NIR = (() => {
  const n13 = '1800575123456';
  return `${n13}${String(nirKey(n13)).padStart(2, '0')}`;
})();

/**
 * A creation body for the benchmarks' trainee, funded by the bench financeur; the dates and the
 * dispositif of a scenario's own when it needs them.
 */
export function benchCreation(
  dossierId: string,
  eventId: string,
  at: { date: string; debut: string; fin: string; dispositif: string } = {
    date: '2026-01-15',
    debut: '2026-02-01',
    fin: '2026-09-30',
    dispositif: 'PRF',
  },
): Record<string, unknown> {
  return {
    eventId,
    dossierId,
    date: at.date,
    stagiaire: { nir: BENCH_NIR, nom: 'Bench', prenom: 'Mark', dateNaissance: '1980-05-02' },
    organisme: { siret: '12345678200010', raisonSociale: 'OF' },
    action: {
      intitule: 'T',
      dispositif: at.dispositif,
      objectif: 'CERTIFIANTE',
      region: '84',
      dateDebutPrevue: at.debut,
      dateFinPrevue: at.fin,
    },
    financements: [{ financeurSiret: BENCH_FINANCEUR, montantEngage: 100 }],
  };
}

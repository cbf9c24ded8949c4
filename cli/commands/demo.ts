import { existingSecret } from '../../infra/local-secrets';
import { loadDemo } from '../demo';
import { type Command, UsageError, env, print } from '../context';

export const demo: Command = async ({ values, json }) => {
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
  // The agents' passwords are shown once: in the text, and in the JSON (a script signs in with them).
  print({ ...result, partners: Object.keys(result.partners) }, json, () =>
    [
      `demo loaded: ${result.dossiers} dossiers, ${result.periods} CEP periods, ${result.events} events, ${result.months} DSN months`,
      `open ${base}/console, "Se connecter", and sign in as one of the demo agents:`,
      `  France Travail: ${result.agents['france-travail']!.email} / ${result.agents['france-travail']!.motDePasse}`,
      `  Région Auvergne-Rhône-Alpes: ${result.agents['region-84']!.email} / ${result.agents['region-84']!.motDePasse}`,
      `  Mission locale de Lyon (CEP): ${result.agents['ml-lyon']!.email} / ${result.agents['ml-lyon']!.motDePasse}`,
      `(each demo run gives them new passwords)`,
    ].join('\n'),
  );
  return 0;
};

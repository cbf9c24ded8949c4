import { ReferentielFormatError, importReferentiel } from '../../services/referentiel-import';
import { type Command, UsageError, env, print, withOrm } from '../context';

/**
 * `agora referentiel import PATH`: France compétences' RNCP/RS export (its zip, or a folder of its
 * files) replaces the loaded referential, with a progress bar and the bad lines at the end.
 */
export const referentielImport: Command = async ({ arg, json }) => {
  if (!arg)
    throw new UsageError(
      'usage: agora referentiel import PATH (export-fiches-csv-YYYY-MM-DD.zip or its folder)',
    );
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let shown = -1;
  const bar = (fichier: string, bytes: number, total: number, done = false) => {
    const pct = total ? Math.min(100, Math.floor((bytes / total) * 100)) : 100;
    if (!done && pct === shown) return;
    shown = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${fichier}`;
    if (tty) process.stderr.write(`\r${text.padEnd(110)}${done ? '\n' : ''}`);
    else if (done || pct % 25 === 0) process.stderr.write(`${text}\n`);
  };
  // The tables first, on a database no API has migrated yet.
  await withOrm(async () => undefined);
  let result;
  try {
    result = await importReferentiel(env.DATABASE_URL, arg, ({ fichier, bytes, totalBytes }) =>
      bar(fichier, bytes, totalBytes),
    );
  } catch (e) {
    if (e instanceof ReferentielFormatError) throw new UsageError(e.message);
    throw e;
  }
  bar('done', 1, 1, true);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print(result, json, () =>
    [
      `${result.source}: ${result.fiches} certifications, ${result.blocs} blocks, ${result.certificateurs} certifier links, ${result.nsf} NSF links loaded in ${seconds} s (the previous referential is replaced); ${result.rejetsTotal} bad lines`,
      ...result.rejets.slice(0, 20).map((r) => `  ${r.fichier} line ${r.ligne}: ${r.message}`),
      ...(result.rejetsTotal > 20
        ? [`  ... and ${result.rejetsTotal - 20} more (--json lists up to 100)`]
        : []),
    ].join('\n'),
  );
  return 0;
};

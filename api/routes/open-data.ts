import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { OPEN_DATA_COUNTS, OPEN_DATA_RATES, OPEN_DATA_THRESHOLD, ALL } from '../../domain/open-data';
import type { OpenDataLine } from '../../domain/open-data';
import { latestOpenData } from '../../db/open-data';
import type { AppEnv } from '../app-env';
import { csvCell } from '../csv-cell';

/**
 * CONTRACT.md, "Open data (no token)": the indicators over every dossier of the platform, under
 * statistical secrecy, as CSV and JSON, and a page that describes them (French).
 */

const RATES = Object.keys(OPEN_DATA_RATES) as (keyof typeof OPEN_DATA_RATES)[];
const COLUMNS = ['annee', 'region', 'dispositif', 'nsf', ...OPEN_DATA_COUNTS, ...RATES] as const;

const FIELDS: Record<(typeof COLUMNS)[number], string> = {
  annee: 'Année de sortie de formation',
  region: `Code de la région de l’action (${ALL} : toutes)`,
  dispositif: `Dispositif de financement (${ALL} : tous)`,
  nsf: `Code NSF du domaine de formation (${ALL} : tous ; NON_RENSEIGNE : non indiqué)`,
  sortants: 'Stagiaires sortis de formation dans l’année',
  realisation_totale: 'Dont formation réalisée en totalité (dossier clos)',
  emploi_6m: 'Dont en emploi 6 mois après la sortie (DSN)',
  emploi_durable_6m: 'Dont en emploi durable 6 mois après la sortie (CDI, CDD ou intérim de 6 mois et plus)',
  emploi_12m: 'Dont en emploi 12 mois après la sortie (DSN)',
  certifies: 'Dont certification obtenue en totalité',
  taux_realisation_totale: 'realisation_totale / sortants',
  taux_emploi_6m: 'emploi_6m / sortants (une situation pas encore connue compte comme sans emploi)',
  taux_emploi_durable_6m: 'emploi_durable_6m / sortants',
  taux_emploi_12m: 'emploi_12m / sortants',
  taux_certification: 'certifies / sortants',
};

const csvOf = (lines: OpenDataLine[]) =>
  [COLUMNS.join(','), ...lines.map((l) => COLUMNS.map((k) => csvCell(l[k])).join(','))].join('\n') + '\n';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

export function openDataRoutes(deps: { orm: MikroORM }) {
  const app = new OpenAPIHono<AppEnv>();
  const latest = () => latestOpenData(deps.orm.em.fork());

  app.get('/open-data/indicateurs.csv', async (c) => {
    const data = await latest();
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', 'inline; filename="indicateurs.csv"');
    c.header('last-modified', new Date(data.generatedAt).toUTCString());
    return c.body(csvOf(data.lines));
  });

  app.get('/open-data/indicateurs.json', async (c) => {
    const data = await latest();
    c.header('last-modified', new Date(data.generatedAt).toUTCString());
    // Stored as json (not jsonb): each line keeps the CSV's field order.
    return c.json(data.lines, 200);
  });

  app.get('/open-data', (c) => c.redirect('/open-data/', 301));
  app.get('/open-data/', async (c) => {
    const data = await latest();
    const date = new Intl.DateTimeFormat('fr-FR', {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone: 'Europe/Paris',
    }).format(new Date(data.generatedAt));
    const rows = COLUMNS.map(
      (k) => `<tr><th scope="row"><code>${k}</code></th><td>${escapeHtml(FIELDS[k])}</td></tr>`,
    ).join('');
    return c.html(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Données ouvertes · agora-flow</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;line-height:1.5}table{border-collapse:collapse}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top}</style>
</head><body>
<h1>Indicateurs de la formation professionnelle : données ouvertes</h1>
<p>Sorties de formation de tous les dossiers de la plateforme, par année de sortie, région, dispositif et domaine (NSF), avec les totaux de chaque niveau (<code>${ALL}</code>) : réalisation, emploi à 6 et 12 mois d’après la DSN, certification.</p>
<p><strong>Date des données :</strong> ${date} (mises à jour chaque jour). ${data.lines.length} lignes.</p>
<ul><li><a href="/open-data/indicateurs.csv">indicateurs.csv</a> (UTF-8, séparateur virgule, une cellule vide pour une valeur couverte par le secret)</li><li><a href="/open-data/indicateurs.json">indicateurs.json</a> (tableau de lignes ; <code>null</code> pour une valeur couverte par le secret)</li></ul>
<h2>Secret statistique</h2>
<p>Toute ligne de moins de ${OPEN_DATA_THRESHOLD} sortants est vidée. Chaque total est la somme des lignes du niveau inférieur ; lorsqu’une seule de ces lignes serait vidée, la plus petite des autres l’est aussi, de sorte qu’aucune valeur vidée ne se retrouve par différence à partir des lignes ou des totaux du fichier. Le fichier ne contient ni NIR, ni nom, ni numéro de dossier, ni SIRET.</p>
<h2>Champs</h2>
<table><tbody>${rows}</tbody></table>
<h2>Licence</h2>
<p><a href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/">Licence Ouverte 2.0</a> (Etalab) : réutilisation libre, y compris commerciale, sous réserve de mentionner la source et la date des données.</p>
</body></html>`);
  });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/open-data/indicateurs.json',
    summary: 'Open data (no token): the indicators of every dossier, under statistical secrecy',
    responses: {
      200: {
        description: 'one line per year of exit x region x dispositif x NSF, and the totals (ENSEMBLE)',
        content: {
          'application/json': {
            schema: z.array(
              z.object(
                Object.fromEntries(
                  COLUMNS.map((k, i) => [
                    k,
                    i < 4 ? z.string() : z.number().nullable().meta({ description: FIELDS[k] }),
                  ]),
                ),
              ),
            ),
          },
        },
      },
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/open-data/indicateurs.csv',
    summary: 'Open data (no token): the same lines as CSV',
    responses: { 200: { description: 'CSV, header first', content: { 'text/csv': { schema: z.string() } } } },
  });
  return app;
}

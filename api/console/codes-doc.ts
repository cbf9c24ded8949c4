/**
 * docs/CODES.md, written from the console's label tables: the codes of the API, the regional
 * file and the console in French, from the one table the console itself shows. `npm run
 * docs:codes` writes it; a unit test fails when the file and the tables differ.
 */
import { INSERTION_HEADER } from '../../db/insertion-export';
import {
  CATEGORY_LABEL,
  CEP_EVENT_LABEL,
  CEP_MOTIF_LABEL,
  CEP_OBJECTIF_LABEL,
  CEP_POINT_LABEL,
  CEP_RESEAU_LABEL,
  CEP_SERVICE_LABEL,
  CEP_SITUATION_LABEL,
  CEP_STATUT_LABEL,
  CERT_STATUT_LABEL,
  EVENT_LABEL,
  INSERTION_COLUMN_LABEL,
  ISSUE_LABEL,
  MOTIF_LABEL,
  PAY_END_LABEL,
  POINT_LABEL,
  REGIME_LABEL,
  REGION_LABEL,
  SITUATION_LABEL,
  STATUS_LABEL,
  objectifLabel,
  OBJECTIF_CODES,
} from './labels';

const TABLES: [title: string, where: string, labels: Record<string, string>][] = [
  ['État du dossier', '`status`; regional file `statut`', STATUS_LABEL],
  ['Issue', '`issue`; regional file `issue`', ISSUE_LABEL],
  ['Évènement', 'events `type`, history, change feed', EVENT_LABEL],
  ['Motif de sortie', '`sortie.motif`; regional file `motif_sortie`', MOTIF_LABEL],
  ['Point de suivi', '`situations[].point`', POINT_LABEL],
  [
    "Situation d'emploi",
    '`situations[].statut`; regional file `situation_*`',
    SITUATION_LABEL as Record<string, string>,
  ],
  ['Catégorie de contrat', '`meilleurEmploi.categorie`', CATEGORY_LABEL],
  ['Région', '`region`; regional file `region`', REGION_LABEL],
  [
    "Objectif de l'action",
    '`action.objectif` (other codes are shown as written)',
    Object.fromEntries(OBJECTIF_CODES.map((c) => [c, objectifLabel(c)])),
  ],
  ['Certification', '`certification.statut`', CERT_STATUT_LABEL],
  ['Régime de rémunération', '`remunerations[].regime`, `REMUNERATION_DEBUT.regime`', REGIME_LABEL],
  ['Fin de rémunération', 'event `REMUNERATION_FIN`, `motif`', PAY_END_LABEL],
  ['Période CEP : statut', 'CEP `statut`', CEP_STATUT_LABEL],
  ['Période CEP : évènement', 'CEP events `type`', CEP_EVENT_LABEL],
  ['Période CEP : service', 'CEP event `SERVICE`, `service`', CEP_SERVICE_LABEL],
  ['Période CEP : situation', 'CEP period `situation`', CEP_SITUATION_LABEL],
  ['Période CEP : objectif', 'CEP event `ACCOMPAGNEMENT`, `objectif`', CEP_OBJECTIF_LABEL],
  ['Période CEP : motif de clôture', 'CEP event `CLOTURE`, `motif`', CEP_MOTIF_LABEL],
  ['Période CEP : réseau', 'CEP operator networks', CEP_RESEAU_LABEL],
  ['Période CEP : point de suivi', 'CEP period `situations[].point`', CEP_POINT_LABEL],
];

const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;

export function codesMarkdown(): string {
  const out = [
    '# Codes and their labels',
    '',
    '<!-- Written by `npm run docs:codes` from api/console/labels.ts: edit the tables there. -->',
    '',
    'The codes the API, the files and the exports carry, with the French label the console shows for',
    'each: one table, in `api/console/labels.ts`, for the console and this page.',
    '',
    '## Regional file (`npx agora export insertion`)',
    '',
    row(['column', 'libellé']),
    row(['---', '---']),
    ...INSERTION_HEADER.split(',').map((c) => row([`\`${c}\``, INSERTION_COLUMN_LABEL[c] ?? ''])),
  ];
  for (const [title, where, labels] of TABLES) {
    out.push('', `## ${title}`, '', `Where: ${where}.`, '', row(['code', 'libellé']), row(['---', '---']));
    for (const [code, label] of Object.entries(labels)) out.push(row([`\`${code}\``, label]));
  }
  return `${out.join('\n')}\n`;
}

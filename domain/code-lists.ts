import type { PartnerKind } from './codes';

/**
 * Plain code lists for the workflow code: the zod schemas of domain/codes.ts are built from them,
 * and the workflow bundle stays free of zod (each workflow would otherwise construct every schema
 * when it starts or is replayed).
 */

/** INSEE codes of the 18 current regions. */
export const REGION_CODES = [
  '01',
  '02',
  '03',
  '04',
  '06',
  '11',
  '24',
  '27',
  '28',
  '32',
  '44',
  '52',
  '53',
  '75',
  '76',
  '84',
  '93',
  '94',
] as const;

/** The partner kinds that fund training. */
export const FUNDING_KINDS: readonly PartnerKind[] = [
  'REGION',
  'FRANCE_TRAVAIL',
  'OPCO',
  'CDC',
  'TRANSITIONS_PRO',
  'AGEFIPH',
  'ETAT',
];

/**
 * The open data (CONTRACT.md, "Open data (no token)"): the indicators of every dossier of the
 * platform by year of exit x region x dispositif x NSF, with totals, under statistical secrecy.
 * Pure: db/open-data.ts counts, this file decides what may be published.
 *
 * The lines form a hierarchy: a year's national line, its regions, their dispositifs, their NSF
 * codes; each total line is the sum of the lines below it (`ENSEMBLE` in the dimensions it sums
 * over). Primary secrecy: a line of fewer than 5 exits is emptied (every figure of it is computed
 * on fewer than 5 dossiers). Secondary secrecy: a total and the lines below it are one equation
 * (total = sum of lines); an equation with exactly one emptied line would give it back by
 * subtraction, so another line of it is emptied too (the smallest), until no equation has exactly
 * one. In a hierarchy each line sits in at most two equations (as a part of its parent's, as the
 * total of its children's), which makes the equations a tree: with none holding exactly one
 * emptied line, every emptied line lies on a path between two free ends and no combination of the
 * file's lines gives it back.
 */

/** Fewer exits than this: the line's figures are emptied. */
export const OPEN_DATA_THRESHOLD = 5;
/** The value of a dimension a total line sums over. */
export const ALL = 'ENSEMBLE';

export const OPEN_DATA_COUNTS = [
  'sortants',
  'realisation_totale',
  'emploi_6m',
  'emploi_durable_6m',
  'emploi_12m',
  'certifies',
] as const;
export type OpenDataCount = (typeof OPEN_DATA_COUNTS)[number];

/** The rates, each over the exits (`sortants`). */
export const OPEN_DATA_RATES = {
  taux_realisation_totale: 'realisation_totale',
  taux_emploi_6m: 'emploi_6m',
  taux_emploi_durable_6m: 'emploi_durable_6m',
  taux_emploi_12m: 'emploi_12m',
  taux_certification: 'certifies',
} as const satisfies Record<string, OpenDataCount>;

export interface OpenDataKey {
  annee: string;
  region: string;
  dispositif: string;
  nsf: string;
}
export type Counts = Record<OpenDataCount, number>;
/** A published line: its figures, or null where secrecy empties them. */
export type OpenDataLine = OpenDataKey & {
  [K in OpenDataCount | keyof typeof OPEN_DATA_RATES]: number | null;
};

const DIMENSIONS = ['region', 'dispositif', 'nsf'] as const;

const keyOf = (k: OpenDataKey) => `${k.annee}\u0000${k.region}\u0000${k.dispositif}\u0000${k.nsf}`;

/** A line's parent: the same line with its finest known dimension summed over (null: a year's line). */
function parentOf(k: OpenDataKey): OpenDataKey | null {
  for (let i = DIMENSIONS.length - 1; i >= 0; i--) {
    const d = DIMENSIONS[i]!;
    if (k[d] !== ALL) return { ...k, [d]: ALL };
  }
  return null;
}

const add = (a: Counts, b: Counts): Counts =>
  Object.fromEntries(OPEN_DATA_COUNTS.map((c) => [c, a[c] + b[c]])) as Counts;
const zero = (): Counts => Object.fromEntries(OPEN_DATA_COUNTS.map((c) => [c, 0])) as Counts;
const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/**
 * The published lines, from the finest counts (one per year x region x dispositif x NSF): the
 * totals added, secrecy applied, in a stable order (year, then each dimension, totals first).
 */
export function openDataLines(finest: readonly (OpenDataKey & Counts)[]): OpenDataLine[] {
  // Every line and its counts, totals included.
  const lines = new Map<string, { key: OpenDataKey; counts: Counts; children: string[] }>();
  const ensure = (key: OpenDataKey) => {
    const id = keyOf(key);
    let line = lines.get(id);
    if (!line) {
      line = { key, counts: zero(), children: [] };
      lines.set(id, line);
      const parent = parentOf(key);
      if (parent) ensure(parent).children.push(id);
    }
    return line;
  };
  for (const f of finest) {
    const { annee, region, dispositif, nsf, ...counts } = f;
    for (let k: OpenDataKey | null = { annee, region, dispositif, nsf }; k; k = parentOf(k)) {
      const line = ensure(k);
      line.counts = add(line.counts, counts);
    }
  }
  // Primary secrecy, then secondary until no equation (a total and its parts) has exactly one
  // emptied line.
  const hidden = new Set(
    [...lines].filter(([, l]) => l.counts.sortants < OPEN_DATA_THRESHOLD).map(([id]) => id),
  );
  for (let changed = true; changed;) {
    changed = false;
    for (const [id, line] of lines) {
      if (line.children.length === 0) continue;
      const members = [id, ...line.children];
      if (members.filter((m) => hidden.has(m)).length !== 1) continue;
      // The smallest part still shown (the total itself only when every part is emptied).
      const shown = line.children.filter((c) => !hidden.has(c));
      const pick = shown.sort(
        (a, b) => lines.get(a)!.counts.sortants - lines.get(b)!.counts.sortants || a.localeCompare(b),
      )[0];
      hidden.add(pick ?? id);
      changed = true;
    }
  }
  const order = (a: OpenDataKey, b: OpenDataKey) => {
    for (const d of ['annee', ...DIMENSIONS] as const) {
      if (a[d] === b[d]) continue;
      if (a[d] === ALL) return -1;
      if (b[d] === ALL) return 1;
      return a[d] < b[d] ? -1 : 1;
    }
    return 0;
  };
  return [...lines]
    .sort(([, a], [, b]) => order(a.key, b.key))
    .map(([id, { key, counts }]) => {
      const secret = hidden.has(id);
      const figures = Object.fromEntries(OPEN_DATA_COUNTS.map((c) => [c, secret ? null : counts[c]]));
      const rates = Object.fromEntries(
        Object.entries(OPEN_DATA_RATES).map(([r, c]) => [
          r,
          secret ? null : rate(counts[c], counts.sortants),
        ]),
      );
      return { ...key, ...figures, ...rates } as OpenDataLine;
    });
}

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
 * subtraction, so another line of it is emptied too (the smallest). In a hierarchy each line sits
 * in at most two equations (as a part of its parent's, as the total of its children's), which
 * makes the equations a tree: with none holding exactly one emptied line, no linear combination of
 * the file's lines gives an emptied line back. A reader also knows that counts are not negative
 * and that a line has at least one exit: two emptied lines of one exit each under a total that
 * leaves 2, or emptied lines whose employment a total leaves at 0 (or at all of their exits), are
 * pinned down all the same. So each emptied figure is bounded the way a reader would (the tightest
 * bounds the equations and those facts give), and while one is pinned, another line beside it is
 * emptied.
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

const zero = (): Counts => ({
  sortants: 0,
  realisation_totale: 0,
  emploi_6m: 0,
  emploi_durable_6m: 0,
  emploi_12m: 0,
  certifies: 0,
});
const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

interface Line {
  key: OpenDataKey;
  counts: Counts;
  parent: number;
  children: number[];
}

/**
 * The published lines, from the finest counts (one per year x region x dispositif x NSF): the
 * totals added, secrecy applied, in a stable order (year, then each dimension, totals first).
 */
export function openDataLines(finest: readonly (OpenDataKey & Counts)[]): OpenDataLine[] {
  // Every line and its counts, totals included.
  const lines: Line[] = [];
  const index = new Map<string, number>();
  const ensure = (key: OpenDataKey): number => {
    const id = keyOf(key);
    let i = index.get(id);
    if (i === undefined) {
      i = lines.length;
      lines.push({ key, counts: zero(), parent: -1, children: [] });
      index.set(id, i);
      const parent = parentOf(key);
      if (parent) {
        const p = ensure(parent);
        lines[i]!.parent = p;
        lines[p]!.children.push(i);
      }
    }
    return i;
  };
  for (const f of finest) {
    const key = { annee: f.annee, region: f.region, dispositif: f.dispositif, nsf: f.nsf };
    // The finest line, then its totals up to the year's.
    for (let i = ensure(key); i >= 0; i = lines[i]!.parent) {
      const counts = lines[i]!.counts;
      for (const c of OPEN_DATA_COUNTS) counts[c] += f[c];
    }
  }
  const hidden = secrecy(lines);
  // Year, then each dimension, a total (ENSEMBLE) before the values it sums over.
  const sortKey = (k: OpenDataKey) =>
    [k.annee, ...DIMENSIONS.map((d) => (k[d] === ALL ? '\u0001' : `\u0002${k[d]}`))].join('\u0000');
  return lines
    .map((line, i) => ({ line, secret: hidden.has(i), sort: sortKey(line.key) }))
    .sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0))
    .map(({ line: { key, counts }, secret }) => {
      // Written out: objects built field by field from lists are ten times slower at this size.
      const n = (c: OpenDataCount) => (secret ? null : counts[c]);
      const r = (c: OpenDataCount) => (secret ? null : rate(counts[c], counts.sortants));
      return {
        annee: key.annee,
        region: key.region,
        dispositif: key.dispositif,
        nsf: key.nsf,
        sortants: n('sortants'),
        realisation_totale: n('realisation_totale'),
        emploi_6m: n('emploi_6m'),
        emploi_durable_6m: n('emploi_durable_6m'),
        emploi_12m: n('emploi_12m'),
        certifies: n('certifies'),
        taux_realisation_totale: r(OPEN_DATA_RATES.taux_realisation_totale),
        taux_emploi_6m: r(OPEN_DATA_RATES.taux_emploi_6m),
        taux_emploi_durable_6m: r(OPEN_DATA_RATES.taux_emploi_durable_6m),
        taux_emploi_12m: r(OPEN_DATA_RATES.taux_emploi_12m),
        taux_certification: r(OPEN_DATA_RATES.taux_certification),
      } satisfies OpenDataLine;
    });
}

/** Smallest first (fewest exits), then a stable order. */
const bySize = (lines: Line[]) => (a: number, b: number) =>
  lines[a]!.counts.sortants - lines[b]!.counts.sortants || a - b;

/** The emptied lines: primary secrecy, then secondary until no emptied figure is pinned. */
function secrecy(lines: Line[]): Set<number> {
  const hidden = new Set<number>();
  lines.forEach((l, i) => {
    if (l.counts.sortants < OPEN_DATA_THRESHOLD) hidden.add(i);
  });
  for (;;) {
    linearSecrecy(lines, hidden);
    const pinned = pinnedLines(lines, hidden);
    if (pinned.length === 0) return hidden;
    const before = hidden.size;
    // One line emptied per equation a round: the next round sees what it loosened.
    const touched = new Set<number>();
    for (const { line, quantity } of pinned) {
      const own = lines[line]!.parent;
      if (touched.has(line) || touched.has(own)) continue;
      const h = widening(lines, hidden, line, quantity);
      hidden.add(h);
      touched.add(h).add(lines[h]!.parent);
    }
    // Cannot happen (every pinned line has a shown line around it to empty); never loop forever.
    if (hidden.size === before) return hidden;
  }
}

/**
 * No equation (a total and its parts) with exactly one emptied line: the smallest part still shown
 * goes with it (the total itself only when every part is emptied).
 */
function linearSecrecy(lines: Line[], hidden: Set<number>) {
  // A worklist of equations (by their total): one whose line was just emptied is looked at again.
  const queue: number[] = [];
  const queued = new Uint8Array(lines.length);
  const push = (t: number) => {
    if (t >= 0 && lines[t]!.children.length > 0 && !queued[t]) {
      queued[t] = 1;
      queue.push(t);
    }
  };
  lines.forEach((_, t) => push(t));
  while (queue.length > 0) {
    const t = queue.pop()!;
    queued[t] = 0;
    const line = lines[t]!;
    let n = hidden.has(t) ? 1 : 0;
    for (const c of line.children) if (hidden.has(c)) n++;
    if (n !== 1) continue;
    let pick = -1;
    for (const c of line.children) if (!hidden.has(c) && (pick < 0 || bySize(lines)(c, pick) < 0)) pick = c;
    const h = pick < 0 ? t : pick;
    hidden.add(h);
    push(h);
    push(lines[h]!.parent);
    push(t);
  }
}

/**
 * The quantities a reader bounds: the exits, each count, and each count's complement (exits minus
 * the count: those who did not), all integers >= 0, the exits >= 1 (a line exists for an exit).
 */
const QUANTITIES = [
  (c: Counts) => c.sortants,
  ...OPEN_DATA_COUNTS.filter((c) => c !== 'sortants').flatMap((k) => [
    (c: Counts) => c[k],
    (c: Counts) => c.sortants - c[k],
  ]),
];
const Q = QUANTITIES.length;

/**
 * Emptied lines a reader could pin down from the file: the tightest bounds the equations give each
 * emptied figure (bounds propagation over the equations, which form a tree, and within a line:
 * exits = count + complement), and a figure whose bounds meet is disclosed. A figure pinned at 0
 * because its nearest shown total is 0 tells nothing that total does not already tell.
 */
function pinnedLines(lines: Line[], hidden: Set<number>): { line: number; quantity: number }[] {
  const lo = new Float64Array(lines.length * Q);
  const hi = new Float64Array(lines.length * Q);
  lines.forEach((line, i) => {
    QUANTITIES.forEach((q, k) => {
      const v = q(line.counts);
      lo[i * Q + k] = hidden.has(i) ? (k === 0 ? 1 : 0) : v;
      hi[i * Q + k] = hidden.has(i) ? Infinity : v;
    });
  });
  const equations = new Set<number>();
  for (const h of hidden) {
    if (lines[h]!.children.length > 0) equations.add(h);
    if (lines[h]!.parent >= 0) equations.add(lines[h]!.parent);
  }
  const tighten = (at: number, l: number, h: number) => {
    let changed = false;
    if (l > lo[at]!) {
      lo[at] = l;
      changed = true;
    }
    if (h < hi[at]!) {
      hi[at] = h;
      changed = true;
    }
    return changed;
  };
  for (let changed = true, rounds = 0; changed && rounds < 1000; rounds++) {
    changed = false;
    for (const t of equations) {
      const parts = lines[t]!.children;
      for (let k = 0; k < Q; k++) {
        let sumLo = 0;
        let sumHi = 0;
        let infinite = 0;
        for (const p of parts) {
          sumLo += lo[p * Q + k]!;
          if (hi[p * Q + k] === Infinity) infinite++;
          else sumHi += hi[p * Q + k]!;
        }
        if (tighten(t * Q + k, sumLo, infinite > 0 ? Infinity : sumHi)) changed = true;
        for (const p of parts) {
          if (!hidden.has(p)) continue;
          const at = p * Q + k;
          const othersHi =
            hi[at] === Infinity
              ? infinite > 1
                ? Infinity
                : sumHi
              : infinite > 0
                ? Infinity
                : sumHi - hi[at]!;
          if (tighten(at, lo[t * Q + k]! - othersHi, hi[t * Q + k]! - (sumLo - lo[at]!))) changed = true;
        }
      }
    }
    for (const i of hidden) {
      const s = i * Q;
      for (let k = 1; k < Q; k += 2) {
        const c = s + k;
        const d = s + k + 1;
        if (tighten(s, lo[c]! + lo[d]!, hi[c]! + hi[d]!)) changed = true;
        if (tighten(c, lo[s]! - hi[d]!, hi[s]! - lo[d]!)) changed = true;
        if (tighten(d, lo[s]! - hi[c]!, hi[s]! - lo[c]!)) changed = true;
      }
    }
  }
  const pinned: { line: number; quantity: number }[] = [];
  for (const i of hidden) {
    for (let k = 0; k < Q; k++) {
      if (lo[i * Q + k] !== hi[i * Q + k]) continue;
      if (hi[i * Q + k] === 0) {
        let a = lines[i]!.parent;
        while (a >= 0 && hidden.has(a)) a = lines[a]!.parent;
        if (a >= 0 && QUANTITIES[k]!(lines[a]!.counts) === 0) continue;
      }
      pinned.push({ line: i, quantity: k });
      break;
    }
  }
  return pinned;
}

/**
 * The shown line to empty so that a pinned line's figure loosens: a shown line beside it (its
 * parent's other parts), else below it, else up its ancestors; one that holds some of the pinned
 * quantity first (a figure pinned at 0 loosens only with one), the smallest first.
 */
function widening(lines: Line[], hidden: Set<number>, line: number, quantity: number): number {
  const q = QUANTITIES[quantity]!;
  const best = (candidates: number[]) => {
    const shown = candidates.filter((c) => c !== line && !hidden.has(c)).sort(bySize(lines));
    return shown.find((c) => q(lines[c]!.counts) > 0) ?? shown[0];
  };
  for (let at = line; at >= 0; at = lines[at]!.parent) {
    if (at !== line && !hidden.has(at)) return at;
    const parent = lines[at]!.parent;
    const pick =
      (parent >= 0 ? best(lines[parent]!.children) : undefined) ??
      (at === line ? best(lines[line]!.children) : undefined);
    if (pick !== undefined) return pick;
  }
  // The year's line itself.
  let root = line;
  while (lines[root]!.parent >= 0) root = lines[root]!.parent;
  return root;
}

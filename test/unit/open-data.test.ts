import { describe, expect, it } from 'vitest';
import type { Counts, OpenDataKey, OpenDataLine } from '../../domain/open-data';
import { ALL, OPEN_DATA_COUNTS, openDataLines } from '../../domain/open-data';

/** CONTRACT.md, "Open data (no token)": the lines, their totals, and statistical secrecy. */

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function dataset(seed: number, size: number): (OpenDataKey & Counts)[] {
  const rnd = prng(seed);
  const out = new Map<string, OpenDataKey & Counts>();
  for (let i = 0; i < size; i++) {
    const key = {
      annee: String(2023 + Math.floor(rnd() * 2)),
      region: ['84', '11', '93', '76'][Math.floor(rnd() * 4)]!,
      dispositif: ['PRF', 'AIF', 'CPF'][Math.floor(rnd() * 3)]!,
      nsf: ['326', '311', '332', '255', '415'][Math.floor(rnd() * 5)]!,
    };
    const id = JSON.stringify(key);
    // Many small cells: 1 to 12 exits.
    const sortants = 1 + Math.floor(rnd() * 12);
    const part = () => Math.floor(rnd() * (sortants + 1));
    const line = (out.get(id) ?? {
      ...key,
      ...Object.fromEntries(OPEN_DATA_COUNTS.map((c) => [c, 0])),
    }) as OpenDataKey & Counts;
    line.sortants += sortants;
    const e6 = part();
    line.realisation_totale += part();
    line.emploi_6m += e6;
    line.emploi_durable_6m += Math.min(e6, part());
    line.emploi_12m += part();
    line.certifies += part();
    out.set(id, line);
  }
  return [...out.values()];
}

const DIMS = ['region', 'dispositif', 'nsf'] as const;
const parentKey = (l: OpenDataKey) => {
  for (let i = DIMS.length - 1; i >= 0; i--) if (l[DIMS[i]!] !== ALL) return { ...l, [DIMS[i]!]: ALL };
  return null;
};
const id = (k: OpenDataKey) => `${k.annee}|${k.region}|${k.dispositif}|${k.nsf}`;

/**
 * Every emptied line a reader could get back from the file by linear combinations of its equations
 * (each total line = the sum of the lines below it): the emptied lines whose value the equations
 * fix, found by Gaussian elimination (a value is fixed when its column is a pivot whose row has no
 * free column).
 */
function recoverable(lines: OpenDataLine[]): string[] {
  const byId = new Map(lines.map((l) => [id(l), l]));
  const unknowns = lines.filter((l) => l.sortants === null).map(id);
  const col = new Map(unknowns.map((u, i) => [u, i]));
  const rows: number[][] = [];
  const children = new Map<string, string[]>();
  for (const l of lines) {
    const p = parentKey(l);
    if (p) children.set(id(p), [...(children.get(id(p)) ?? []), id(l)]);
  }
  for (const [total, parts] of children) {
    // total - sum(parts) = 0, the known values moved to the right-hand side (not needed here).
    const row = new Array<number>(unknowns.length).fill(0);
    let any = false;
    for (const [member, sign] of [[total, 1], ...parts.map((p) => [p, -1] as const)] as const) {
      const c = col.get(member);
      if (c !== undefined) {
        row[c]! += sign;
        any = true;
      }
    }
    if (any) rows.push(row);
    expect(byId.has(total)).toBe(true);
  }
  // Reduced row echelon form.
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < unknowns.length && r < rows.length; c++) {
    const p = rows.findIndex((row, i) => i >= r && Math.abs(row[c]!) > 1e-9);
    if (p < 0) continue;
    [rows[r], rows[p]] = [rows[p]!, rows[r]!];
    const pv = rows[r]![c]!;
    rows[r] = rows[r]!.map((x) => x / pv);
    for (let i = 0; i < rows.length; i++) {
      if (i === r || Math.abs(rows[i]![c]!) < 1e-9) continue;
      const f = rows[i]![c]!;
      rows[i] = rows[i]!.map((x, j) => x - f * rows[r]![j]!);
    }
    pivots.push(c);
    r++;
  }
  const free = new Set(unknowns.map((_, i) => i).filter((i) => !pivots.includes(i)));
  return pivots
    .filter((c, i) => [...free].every((f) => Math.abs(rows[i]![f]!) < 1e-9))
    .map((c) => unknowns[c]!);
}

describe('open data lines', () => {
  it('adds the totals of each level, each the sum of the lines below it', () => {
    const lines = openDataLines([
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '326', ...counts(20, 10) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '311', ...counts(30, 12) },
      { annee: '2025', region: '11', dispositif: 'AIF', nsf: '326', ...counts(7, 1) },
    ]);
    expect(lines.map((l) => [l.region, l.dispositif, l.nsf, l.sortants])).toEqual([
      [ALL, ALL, ALL, 57],
      ['11', ALL, ALL, 7],
      ['11', 'AIF', ALL, 7],
      ['11', 'AIF', '326', 7],
      ['84', ALL, ALL, 50],
      ['84', 'PRF', ALL, 50],
      ['84', 'PRF', '311', 30],
      ['84', 'PRF', '326', 20],
    ]);
    expect(lines[0]).toMatchObject({ emploi_6m: 23, taux_emploi_6m: 0.404 });
  });

  it('empties a line of fewer than 5 exits, and another beside it so that no subtraction gives it back', () => {
    const lines = openDataLines([
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '326', ...counts(3, 1) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '311', ...counts(30, 12) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '415', ...counts(8, 2) },
    ]);
    const nsf = (code: string) => lines.find((l) => l.nsf === code)!;
    expect(nsf('326')).toMatchObject({ sortants: null, emploi_6m: null, taux_emploi_6m: null });
    // The next smallest goes with it; the largest and the totals stay.
    expect(nsf('415').sortants).toBeNull();
    expect(nsf('311').sortants).toBe(30);
    expect(lines[0]!.sortants).toBe(41);
    expect(recoverable(lines)).toEqual([]);
  });

  it('lets no emptied figure be recovered from the file, on many random data sets', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const lines = openDataLines(dataset(seed, 30 + seed * 3));
      const hidden = lines.filter((l) => l.sortants === null);
      expect(hidden.length, `seed ${seed}`).toBeGreaterThan(0);
      // Primary secrecy: no figure shown on fewer than 5 exits.
      for (const l of lines) if (l.sortants !== null) expect(l.sortants).toBeGreaterThanOrEqual(5);
      expect(recoverable(lines), `seed ${seed}`).toEqual([]);
    }
  });

  it('detects recovery when secrecy is not applied (the check itself works)', () => {
    const lines = openDataLines([
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '326', ...counts(3, 1) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '311', ...counts(30, 12) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '415', ...counts(8, 2) },
    ]);
    // Put the second emptied line back: the first is then total - the others.
    const leaky = lines.map((l) => (l.nsf === '415' ? { ...l, sortants: 8 } : l));
    expect(recoverable(leaky)).toEqual(['2025|84|PRF|326']);
  });
});

function counts(sortants: number, emploi: number): Counts {
  return {
    sortants,
    realisation_totale: sortants - 1,
    emploi_6m: emploi,
    emploi_durable_6m: Math.floor(emploi / 2),
    emploi_12m: emploi,
    certifies: Math.floor(sortants / 2),
  };
}

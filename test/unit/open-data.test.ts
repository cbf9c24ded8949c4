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

/**
 * What a reader can tell of each emptied line from the whole file, for the exits and one count:
 * every (exits, count) pair the lines' equations allow it, the counts not negative and at most the
 * exits, a line at least one exit (exact: inside-outside over the tree of equations, by sets).
 * Returns the emptied lines whose exits, count, or exits minus count has one possible value (a
 * value of 0 is no disclosure when the nearest shown total is 0 too).
 */
function pinned(lines: OpenDataLine[], count: Exclude<keyof Counts, 'sortants'>): string[] {
  const byId = new Map(lines.map((l) => [id(l), l]));
  const children = new Map<string, string[]>();
  for (const l of lines) {
    const p = parentKey(l);
    if (p) children.set(id(p), [...(children.get(id(p)) ?? []), id(l)]);
  }
  const roots = lines.filter((l) => parentKey(l) === null);
  const pack = (s: number, c: number) => s * 1024 + c;
  const result: string[] = [];
  for (const root of roots) {
    // A reader who does not know the year's total bounds it by nothing: 30 stands for that here.
    const n = root.sortants ?? 30;
    const domain = (l: OpenDataLine): Set<number> => {
      if (l.sortants !== null) return new Set([pack(l.sortants, l[count]!)]);
      const out = new Set<number>();
      for (let s = 1; s <= n; s++) for (let c = 0; c <= s; c++) out.add(pack(s, c));
      return out;
    };
    const sum = (a: Set<number>, b: Set<number>) => {
      const out = new Set<number>();
      for (const x of a)
        for (const y of b) {
          const s = (x >> 10) + (y >> 10);
          if (s <= n) out.add(pack(s, (x & 1023) + (y & 1023)));
        }
      return out;
    };
    const inside = new Map<string, Set<number>>();
    const inner = (l: string): Set<number> => {
      const own = domain(byId.get(l)!);
      const kids = children.get(l);
      if (kids) {
        const total = kids.map(inner).reduce(sum);
        for (const v of own) if (!total.has(v)) own.delete(v);
      }
      inside.set(l, own);
      return own;
    };
    inner(id(root));
    const visit = (t: string, feasible: Set<number>, shownAncestor: OpenDataLine | null) => {
      const kids = children.get(t) ?? [];
      kids.forEach((k, i) => {
        const others = kids.filter((_, j) => j !== i).map((o) => inside.get(o)!);
        const rest = others.length ? others.reduce(sum) : new Set([0]);
        const mine = new Set<number>();
        for (const v of inside.get(k)!)
          for (const r of rest) {
            const s = (v >> 10) + (r >> 10);
            if (feasible.has(pack(s, (v & 1023) + (r & 1023)))) {
              mine.add(v);
              break;
            }
          }
        const line = byId.get(k)!;
        if (line.sortants === null) {
          const values = (f: (v: number) => number) => new Set([...mine].map(f));
          const ex = values((v) => v >> 10);
          const cn = values((v) => v & 1023);
          const rest = values((v) => (v >> 10) - (v & 1023));
          const zeroShown = (set: Set<number>, shown: number | undefined) =>
            set.size === 1 && set.has(0) && shown === 0;
          const a = shownAncestor;
          if (
            ex.size === 1 ||
            (cn.size === 1 && !zeroShown(cn, a ? a[count]! : undefined)) ||
            (rest.size === 1 && !zeroShown(rest, a ? a.sortants! - a[count]! : undefined))
          )
            result.push(k);
        }
        visit(k, mine, line.sortants === null ? shownAncestor : line);
      });
    };
    if (root.sortants === null) {
      const values = [...inside.get(id(root))!];
      if (new Set(values.map((v) => v >> 10)).size === 1) result.push(id(root));
    }
    visit(id(root), inside.get(id(root))!, root.sortants === null ? null : root);
  }
  return result.sort();
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

  it('empties more lines where counts that cannot be negative would pin an emptied one', () => {
    const line = (nsf: string, sortants: number, emploi: number) => ({
      annee: '2025',
      region: '84',
      dispositif: 'PRF',
      nsf,
      ...counts(sortants, emploi),
    });
    const extra = [line('999', 9, 3), line('998', 12, 5)];
    // Two emptied lines of 1 exit each: a total leaving 2 would tell both.
    const ones = openDataLines([line('326', 1, 0), line('415', 1, 1), line('311', 30, 12), ...extra]);
    expect(pinned(ones, 'emploi_6m')).toEqual([]);
    expect(ones.find((l) => l.nsf === '999')!.sortants).toBeNull();
    // The emptied lines' employment left at 0 by a total: a line that holds some goes with them.
    const none = openDataLines([line('326', 2, 0), line('415', 3, 0), line('311', 30, 12), ...extra]);
    expect(pinned(none, 'emploi_6m')).toEqual([]);
    expect(none.filter((l) => l.sortants === null).map((l) => l.nsf)).toEqual(['326', '415', '999']);
    // ... unless the total itself is 0: it already tells that no one of its dossiers has a job.
    const zero = openDataLines([line('326', 2, 0), line('415', 3, 0), line('311', 30, 0)]);
    expect(zero.filter((l) => l.sortants === null).map((l) => l.nsf)).toEqual(['326', '415']);
    expect(pinned(zero, 'emploi_6m')).toEqual([]);
  });

  it('lets no emptied figure be pinned down by bounds either, on many random data sets', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const rnd = prng(seed * 7919);
      const finest = dataset(seed, 5 + (seed % 4)).map((l) => ({ ...l, annee: '2025' }));
      // Small lines, some with no one employed: the cases bounds catch.
      const merged = new Map<string, OpenDataKey & Counts>();
      for (const l of finest) {
        const k = id(l);
        const m = merged.get(k);
        merged.set(k, m ? { ...m, sortants: m.sortants + l.sortants } : l);
      }
      const small = [...merged.values()].map((l) => {
        const sortants = 1 + Math.floor(rnd() * 6);
        const emploi = rnd() < 0.4 ? 0 : Math.floor(rnd() * (sortants + 1));
        return { ...l, ...counts(sortants, emploi), certifies: rnd() < 0.5 ? sortants : 0 };
      });
      const lines = openDataLines(small);
      expect(pinned(lines, 'emploi_6m'), `seed ${seed}`).toEqual([]);
      expect(pinned(lines, 'certifies'), `seed ${seed}`).toEqual([]);
      expect(recoverable(lines), `seed ${seed}`).toEqual([]);
    }
  });

  it('detects pinned figures when only the linear rule is applied (the check itself works)', () => {
    // Two emptied lines of one exit each, the third shown: the linear rule is met, yet each is 1.
    const lines = openDataLines([
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '326', ...counts(1, 0) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '415', ...counts(1, 1) },
      { annee: '2025', region: '84', dispositif: 'PRF', nsf: '311', ...counts(30, 12) },
    ]);
    const leaky = lines.map((l) => (l.nsf === '311' ? { ...l, sortants: 30, emploi_6m: 12 } : l));
    expect(recoverable(leaky)).toEqual([]);
    expect(pinned(leaky, 'emploi_6m')).toEqual(['2025|84|PRF|326', '2025|84|PRF|415']);
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

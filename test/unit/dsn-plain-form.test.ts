import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BatchContext, parseChunk } from '../../db/dsn-parse';
import { nirKey } from '../../domain/nir';
import { completeSiret } from '../../domain/siret';
import { type HmacLanes, hmacLanes } from '../../infra/hmac-lanes';
import { hmacSha256 } from '../../infra/pseudonym';

/**
 * The DSN import writes a line in the plain form of an extract straight from its text
 * (db/dsn-parse.ts); every other line goes through parseDsnLine, the rule. On random lines, plain
 * and not, right and wrong, the two ways give the same COPY bytes and the same refusals.
 */
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const bytes = hmacSha256(key);
const lanes = hmacLanes(key);
/** The lanes, `count` called for each text queued. */
const counting = (count: () => void): HmacLanes => ({
  queue: (...args) => {
    count();
    return lanes.queue(...args);
  },
  get full() {
    return lanes.full;
  },
  flush: (out) => lanes.flush(out),
  clear: () => lanes.clear(),
});
// Counts the lines written straight from the text.
let plain = 0;
const direct = { bytes, lanes: counting(() => plain++) };
const ruleOnly = { bytes };

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
/** Mostly `plain` (the extract's usual form), now and then any of `others`. */
const mostly = <T>(plain: fc.Arbitrary<T>, ...others: fc.Arbitrary<T>[]) =>
  fc.oneof({ weight: 6 * others.length, arbitrary: plain }, ...others);
const keyed = (n13: string) => `${n13}${String(nirKey(n13)).padStart(2, '0')}`;

const nir = mostly(
  fc.tuple(pick('1', '2', '3', '4', '7', '8'), digits(12)).map(([s, d]) => keyed(`${s}${d}`)),
  fc.tuple(pick('0', '5', '9'), digits(12)).map(([s, d]) => keyed(`${s}${d}`)),
  digits(15),
  fc.tuple(digits(4), pick('2A', '2B'), digits(6)).map(([a, c, b]) => keyed(`1${a}${c}${b}`)),
  pick('', ' 180017500000142', '18001750000014'),
);
const siret = mostly(
  digits(13).map(completeSiret),
  digits(14),
  digits(5).map((d) => `356000000${d}`),
  pick('', '35600000000048', '1234567890123', ' 73282932000074'),
);
const naf = mostly(
  pick('6201Z', '4711A', '8559B', '0000A', '9999Z'),
  pick('62.01Z', '6201z', ' 6201Z', '620Z', '62011'),
);
const nature = mostly(pick('01', '10', '03', '29', '50', '99'), pick('1', '1a', '', ' 01'));
const ymd = (y: number, m: number, d: number) =>
  `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const date = mostly(
  fc
    .tuple(
      fc.integer({ min: 1900, max: 2030 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
    )
    .map(([y, m, d]) => ymd(y, m, d)),
  fc
    .tuple(
      fc.integer({ min: 1890, max: 2030 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(([y, m, d]) => ymd(y, m, d)),
  pick(
    '2024-02-29',
    '2023-02-29',
    '1900-02-29',
    '2000-02-29',
    '1899-12-31',
    '1900-01-01',
    '2024-1-01',
    '2024/01/01',
    ' 2024-01-01',
  ),
);
const fin = fc.oneof(pick(''), date);
const heures = mostly(
  fc
    .tuple(
      fc.integer({ min: 0, max: 9_999_999 }),
      pick('', '.', ','),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 1, max: 2 }),
    )
    .map(([w, p, f, n]) => `${w}${p}${p ? String(f).padStart(2, '0').slice(0, n) : ''}`),
  fc
    .tuple(
      fc.integer({ min: 0, max: 10_000_000 }),
      pick('', '.', ','),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([w, p, f, n]) => `${w}${p}${p && n ? String(f).padStart(3, '0').slice(0, n) : ''}`),
  pick(
    '',
    '0',
    '00',
    '007',
    '0.50',
    '0.05',
    '151,67',
    '9999999',
    '9999999.5',
    '9999999.00',
    '.5',
    '5.',
    '1e3',
    '-1',
    ' 5',
    '12345678',
    '0.999',
    'NaN',
  ),
);
const extra = mostly(pick('Dupont', 'Élodie', ''), pick('"Martin, Jean"', 'a;b'));

const headers: { fields: string[]; sep: string }[] = [
  {
    fields: ['nir', 'siret', 'naf', 'natureContrat', 'dateDebutContrat', 'dateFinContrat', 'heures'],
    sep: ',',
  },
  {
    fields: ['nom', 'heures', 'dateFinContrat', 'dateDebutContrat', 'natureContrat', 'naf', 'siret', 'nir'],
    sep: ';',
  },
  { fields: ['siret', 'nir', 'naf', 'natureContrat', 'dateDebutContrat', 'heures', 'nom'], sep: ',' },
];

const row = fc.record({
  nir,
  siret,
  naf,
  nature,
  debut: date,
  fin,
  heures,
  extra,
  cut: fc.integer({ min: 0, max: 20 }),
});

type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

describe('the DSN import writing plain lines straight from the text', () => {
  /** A CSV piece of the extract's columns, in their order. */
  const extract: BatchContext = {
    mois: '2026-10',
    format: 'csv',
    header: ['nir', 'siret', 'naf', 'natureContrat', 'dateDebutContrat', 'dateFinContrat', 'heures'],
    sep: ',',
    maxLine: 65536,
  };

  it('gives the same COPY bytes and refusals as the rule, line by line', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261201);
    fc.assert(
      fc.property(
        pick(...headers),
        fc.array(row, { minLength: 1, maxLength: 40 }),
        pick('\n', '\r\n'),
        (h, rows, eol) => {
          const values = (r: Row): Record<string, string> => ({
            nir: r.nir,
            siret: r.siret,
            naf: r.naf,
            natureContrat: r.nature,
            dateDebutContrat: r.debut,
            dateFinContrat: r.fin,
            heures: r.heures,
            nom: r.extra,
          });
          const lines = rows.map((r) => {
            const cells = h.fields.map((f) => values(r)[f]!);
            // Now and then a line with a field too few or too many, or blank.
            return r.cut === 0
              ? cells.slice(1).join(h.sep)
              : r.cut === 1
                ? `${cells.join(h.sep)}${h.sep}x`
                : r.cut === 2
                  ? ''
                  : cells.join(h.sep);
          });
          const ctx: BatchContext = {
            mois: '2026-10',
            format: 'csv',
            header: h.fields,
            sep: h.sep,
            maxLine: 65536,
          };
          const text = lines.join(eol);
          const a = parseChunk(ctx, text, direct);
          const b = parseChunk(ctx, text, ruleOnly);
          expect(Buffer.from(a.copy).toString('hex')).toBe(Buffer.from(b.copy).toString('hex'));
          expect(a.rejects).toEqual(b.rejects);
          expect([a.lines, a.count]).toEqual([b.lines, b.count]);
        },
      ),
      { numRuns: 400, seed },
    );
    // Both ways were compared: the random lines are often plain.
    expect(plain).toBeGreaterThan(300);
  });

  it('gives the same bytes for a piece of thousands of lines (the hashes queued and flushed in turns)', () => {
    const text = Array.from({ length: 3000 }, (_, i) => {
      const n13 = `1800175${String(i).padStart(6, '0')}`;
      // Now and then a line the rule decides (a NIR of Corsica) between plain ones.
      const nir = i % 97 === 0 ? '2A0575123456742' : keyed(n13);
      return `${nir},${completeSiret('4000000000001')},6201Z,01,2024-01-01,,${i}.5`;
    }).join('\n');
    let asked = 0;
    const a = parseChunk(extract, text, { bytes, lanes: counting(() => asked++) });
    const b = parseChunk(extract, text, ruleOnly);
    expect(asked).toBe(3000 - 31);
    expect([a.lines, a.rejects]).toEqual([b.lines, b.rejects]);
    expect(Buffer.from(a.copy).equals(Buffer.from(b.copy))).toBe(true);
  });

  it('writes a piece the same into a used buffer, and after a piece that failed halfway', () => {
    const text = Array.from({ length: 50 }, (_, i) => {
      const nir = i === 30 ? keyed('180052A123456') : keyed(`1800175${String(i).padStart(6, '0')}`);
      return `${nir},${completeSiret('4000000000001')},6201Z,01,2024-01-01,,${i}.5`;
    }).join('\n');
    const expected = Buffer.from(parseChunk(extract, text, ruleOnly).copy);
    // A buffer of an earlier piece, not zeroed.
    const used = new Uint8Array(text.length * 4).fill(0xa5);
    expect(Buffer.from(parseChunk(extract, text, { bytes, lanes }, used).copy).equals(expected)).toBe(true);
    // A piece that fails at its 31st line, the 30 before it queued.
    const failing = {
      bytes: () => {
        throw new Error('no hash');
      },
      lanes,
    };
    expect(() => parseChunk(extract, text, failing)).toThrow('no hash');
    // Nothing of it lands in the next piece, whose tuples are shorter (another month).
    const other: BatchContext = { ...extract, mois: '2026-1' };
    const after = parseChunk(other, text.split('\n').slice(0, 20).join('\n'), { bytes, lanes });
    const rule = parseChunk(other, text.split('\n').slice(0, 20).join('\n'), ruleOnly);
    expect(Buffer.from(after.copy).equals(Buffer.from(rule.copy))).toBe(true);
  });

  it('writes plain lines at all (the comparison above is not between two slow paths)', () => {
    const n13 = '1800175000001';
    const line = `${n13}${String(nirKey(n13)).padStart(2, '0')},${completeSiret('4000000000001')},6201Z,01,2024-01-01,,0151.50`;
    let asked = 0;
    const r = parseChunk(extract, line, { bytes, lanes: counting(() => asked++) });
    expect(asked).toBe(1);
    // One binary COPY tuple: 9 columns, each its length then its bytes (the key: the hash's first 8).
    const hex = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))).toString(
        'hex',
      );
    const len = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    // 2024-01-01 is 8,766 days after 2000-01-01; 151.50 is 151 and 5000 ten-thousandths.
    expect(Buffer.from(r.copy).toString('hex')).toBe(
      hex(
        [0, 9],
        len(7),
        '2026-10',
        len(32),
        [...bytes(line.slice(0, 15))],
        len(8),
        [...bytes(line.slice(0, 15)).subarray(0, 8)],
        len(14),
        completeSiret('4000000000001'),
        len(5),
        '6201Z',
        len(2),
        '01',
        len(4),
        len(8766),
        len(-1),
        len(12),
        [0, 2, 0, 0, 0, 0, 0, 2, 0, 151, 0x13, 0x88],
      ),
    );
  });

  it('reads each line as its bytes say, wherever it falls in a piece: a byte order mark stays, a long line counts its bytes', () => {
    const line = JSON.stringify({
      nir: keyed('1800175000001'),
      siret: completeSiret('4000000000001'),
      naf: '6201Z',
      natureContrat: '01',
      dateDebutContrat: '2024-01-01',
      heures: 35,
    });
    const ndjson: BatchContext = { mois: '2026-10', format: 'ndjson', header: null, sep: ',', maxLine: 400 };
    const r = parseChunk(ndjson, [`\uFEFF${line}`, line, `\uFEFF${line}`].join('\n'), ruleOnly);
    expect([r.lines, r.rejects]).toEqual([
      1,
      [
        { ligne: 1, message: 'not valid JSON' },
        { ligne: 3, message: 'not valid JSON' },
      ],
    ]);
    // 150 characters of two bytes each: over a limit of 200 bytes.
    const long = parseChunk({ ...ndjson, maxLine: 200 }, `${line}\n"${'é'.repeat(150)}"`, ruleOnly);
    expect([long.lines, long.tooLong]).toEqual([1, 2]);
  });
});

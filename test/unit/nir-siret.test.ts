import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isValidNir, maskNir, nirKey } from '../../domain/nir';
import { completeSiret, isValidSiret } from '../../domain/siret';

const bigKey = (n13: string) => Number(97n - (BigInt(n13.replace('2A', '19').replace('2B', '18')) % 97n));

describe('NIR', () => {
  it('accepts the contract example and its key', () => {
    expect(isValidNir('180057512345627')).toBe(true);
    expect(nirKey('1800575123456')).toBe(27);
  });

  it('refuses a wrong key, a wrong length and letters outside Corsica', () => {
    expect(isValidNir('180057512345628')).toBe(false);
    expect(isValidNir('18005751234562')).toBe(false);
    expect(isValidNir('1800575123456277')).toBe(false);
    expect(isValidNir('18005X512345627')).toBe(false);
    expect(isValidNir('980057512345627')).toBe(false);
  });

  it('computes Corsican keys with 2A as 19 and 2B as 18 (INSEE rule: number minus 1,000,000 / 2,000,000)', () => {
    const twoA = '292052A123456';
    const twoB = '292052B123456';
    // The official wording: replace 2A by 20 and subtract 1,000,000; 2B by 20 and subtract 2,000,000.
    const official = (n: string, minus: bigint) =>
      Number(97n - ((BigInt(n.replace(/2[AB]/, '20')) - minus) % 97n));
    expect(nirKey(twoA)).toBe(official(twoA, 1_000_000n));
    expect(nirKey(twoB)).toBe(official(twoB, 2_000_000n));
    expect(isValidNir(`${twoA}${String(nirKey(twoA)).padStart(2, '0')}`)).toBe(true);
    expect(isValidNir(`${twoB}${String(nirKey(twoB)).padStart(2, '0')}`)).toBe(true);
    expect(isValidNir(`${twoB}${String(nirKey(twoA)).padStart(2, '0')}`)).toBe(nirKey(twoA) === nirKey(twoB));
  });

  it('agrees with a BigInt reference on random numbers', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[12]\d{4}(\d{2}|2A|2B)\d{6}$/), (n13) => {
        expect(nirKey(n13)).toBe(bigKey(n13));
        expect(isValidNir(`${n13}${String(bigKey(n13)).padStart(2, '0')}`)).toBe(true);
      }),
    );
  });

  it('masks all but the first seven characters and the key, as in the contract', () => {
    expect(maskNir('180057512345627')).toBe('1800575*******27');
  });
});

describe('SIRET', () => {
  it('accepts Luhn-valid numbers and refuses others', () => {
    expect(isValidSiret('23840001500018')).toBe(true);
    expect(isValidSiret('12345678200010')).toBe(true);
    expect(isValidSiret('12345678200011')).toBe(false);
    expect(isValidSiret('1234567820001')).toBe(false);
    expect(isValidSiret('1234567820001a')).toBe(false);
  });

  it("follows La Poste's own rule: digit sum a multiple of 5", () => {
    expect(isValidSiret('35600000000048')).toBe(true); // head office, Luhn-valid
    expect(isValidSiret('35600000052135')).toBe(true); // sum 30
    expect(isValidSiret('35600000049837')).toBe(true); // sum 45
    expect(isValidSiret('35600000052136')).toBe(false); // sum 31
    // Luhn-valid but not a multiple of 5: refused for La Poste.
    expect(isValidSiret('35600000000014')).toBe(false);
  });
});

describe('completeSiret', () => {
  it('completes a 13-digit prefix into a valid SIRET, and refuses anything else', () => {
    for (const prefix of ['1300046000001', '8513100000001', '0000000000000']) {
      const s = completeSiret(prefix);
      expect(s.startsWith(prefix)).toBe(true);
      expect(isValidSiret(s)).toBe(true);
    }
    expect(() => completeSiret('12')).toThrow(/13-digit/);
  });
});

import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCalendarDate } from '../../domain/dates';
import { exportPseudonymizer, hmacSha256, nirHasher } from '../../infra/pseudonym';

/** The checks the DSN import runs a million times a month, against their plain definitions. */
describe('isCalendarDate', () => {
  /** The definition: what JavaScript's Date makes of the day. */
  const byDate = (v: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  };

  it('agrees with Date on every month and day of leap, common and century years', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    let checked = 0;
    for (const year of ['0000', '0004', '1900', '1999', '2000', '2024', '2026', '2100', '2400', '9999']) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const v = `${year}-${two(month)}-${two(day)}`;
          expect(isCalendarDate(v), v).toBe(byDate(v));
          checked++;
        }
      }
    }
    expect(checked).toBe(10 * 14 * 33);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('2100-02-29')).toBe(false);
  });

  it('refuses what is not YYYY-MM-DD', () => {
    for (const v of [
      '',
      '2026-1-01',
      '2026-01-1',
      '20260101',
      '2026/01/01',
      ' 2026-01-01',
      '2026-01-01T00:00',
    ]) {
      expect(isCalendarDate(v), v).toBe(false);
    }
  });
});

describe('hmacSha256', () => {
  it('gives the bytes of createHmac for any key up to a block and any message', () => {
    for (const keyLength of [0, 1, 32, 63, 64]) {
      const key = randomBytes(keyLength);
      const hmac = hmacSha256(key);
      for (const data of [
        '',
        '180057512345678',
        '2A0575123456742',
        'é€😀',
        'x'.repeat(256),
        'y'.repeat(300),
      ]) {
        expect(
          hmac(data).equals(createHmac('sha256', key).update(data).digest()),
          `${keyLength} ${data}`,
        ).toBe(true);
      }
      // Calls one after the other do not see each other's bytes (the buffers are reused).
      expect(hmac('1').equals(createHmac('sha256', key).update('1').digest())).toBe(true);
    }
  });

  it('falls back to createHmac for a key longer than a block', () => {
    const key = randomBytes(100);
    expect(hmacSha256(key)('abc').equals(createHmac('sha256', key).update('abc').digest())).toBe(true);
  });
});

describe('the keyed hashes of the NIR', () => {
  const env = { AGORA_DATA_KEY: randomBytes(32).toString('base64') };
  const key = (info: string) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(env.AGORA_DATA_KEY, 'base64'), Buffer.alloc(0), info, 32));

  it('are the HMACs they always were (stored look-up hashes and published pseudonyms stay valid)', () => {
    const nir = '180057512345627';
    const hash = createHmac('sha256', key('agora-nir-hash-v1')).update(nir).digest();
    expect(nirHasher(env)(nir).equals(hash)).toBe(true);
    expect(exportPseudonymizer(env)(hash)).toBe(
      createHmac('sha256', key('agora-export-pseudo-v1')).update(hash).digest('hex').slice(0, 32),
    );
  });
});

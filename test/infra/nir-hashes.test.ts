import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportPseudonymizer, hmacSha256, nirHasher } from '../../infra/pseudonym';

/** The NIR's keyed hashes, computed the fast way (the DSN import hashes a million a month), against their plain definitions. */
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

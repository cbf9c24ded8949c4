import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportPseudonymizer, hmacSha256, nirHasher } from '../../infra/pseudonym';
import { hmacSha256 as jsHmac, sha256 } from '../../domain/hmac';
import { hmacLanes } from '../../infra/hmac-lanes';

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

describe('hmacLanes (the DSN import: short texts hashed four at a time)', () => {
  /** A text of `n` characters drawn from `alphabet`. */
  const text = (n: number, alphabet: string) =>
    Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
  const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');

  it('writes the bytes of createHmac for any key and a text of at most 55 ASCII characters, and nothing for any other', () => {
    for (const keyLength of [0, 1, 31, 32, 55, 64, 65, 100]) {
      const key = randomBytes(keyLength);
      const lanes = hmacLanes(key);
      // Every length around the one block a padded text fits in (55 bytes), then longer ones,
      // hashed from the middle of a longer text into the middle of a buffer, queued together
      // (a group of four lanes mixes lengths, the last group is not full).
      const texts = [
        ...Array.from({ length: 71 }, (_, n) => text(n, ascii)),
        '180057512345678',
        '2A0575123456742',
        'é€😀',
        `${'x'.repeat(40)}é`,
        'z'.repeat(300),
      ];
      const out = Buffer.alloc(8 + 32 * texts.length, 7);
      const took = texts.map((t, i) => {
        const b = Buffer.from(`ab${t}cd`);
        return lanes.queue(b, 2, b.length - 2, 4 + 32 * i);
      });
      lanes.flush(out);
      texts.forEach((t, i) => {
        const short = t.length <= 55 && [...t].every((c) => c.charCodeAt(0) < 128);
        expect(took[i], `${keyLength} ${JSON.stringify(t)}`).toBe(short);
        const expected = short ? createHmac('sha256', key).update(t).digest() : Buffer.alloc(32, 7);
        expect(
          out.subarray(4 + 32 * i, 36 + 32 * i).equals(expected),
          `${keyLength} ${JSON.stringify(t)}`,
        ).toBe(true);
      });
      expect([...out.subarray(0, 4), ...out.subarray(out.length - 4)]).toEqual(Array(8).fill(7));
    }
  });

  it('takes texts until its queue is full, and again once flushed', () => {
    const key = randomBytes(32);
    const lanes = hmacLanes(key);
    const nirs = Array.from({ length: 2500 }, (_, i) => String(180057500000000 + i * 7919));
    const ascii = nirs.map((n) => Buffer.from(n));
    const out = Buffer.alloc(32 * nirs.length);
    let i = 0;
    for (const size of [1024, 1024, 452]) {
      for (let k = 0; k < size; k++, i++) expect(lanes.queue(ascii[i]!, 0, 15, 32 * i)).toBe(true);
      expect(lanes.full).toBe(size === 1024);
      if (lanes.full) expect(lanes.queue(ascii[0]!, 0, 15, 0)).toBe(false);
      lanes.flush(out);
      expect(lanes.full).toBe(false);
    }
    // Cleared, the queue writes nothing; a text backwards is not taken.
    const spare = Buffer.alloc(64, 9);
    expect(lanes.queue(ascii[0]!, 0, 15, 0)).toBe(true);
    lanes.clear();
    lanes.flush(spare);
    expect(spare.equals(Buffer.alloc(64, 9))).toBe(true);
    expect(lanes.queue(ascii[0]!, 10, 5, 0)).toBe(false);
    nirs.forEach((nir, i) =>
      expect(out.subarray(32 * i, 32 * i + 32).equals(createHmac('sha256', key).update(nir).digest())).toBe(
        true,
      ),
    );
  });
});

describe('domain/hmac.ts', () => {
  it('rests on a SHA-256 and an HMAC equal to node:crypto byte for byte (domain/hmac.ts)', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
      const data = randomBytes(n);
      const key = randomBytes(n % 90);
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      expect(Buffer.from(jsHmac(key, data)).toString('hex')).toBe(
        createHmac('sha256', key).update(data).digest('hex'),
      );
    }
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

import { describe, expect, it } from 'vitest';
import { TtlCache } from '../../api/ttl-cache';

describe('TtlCache', () => {
  it('computes a key once while fresh, shares one computation between concurrent callers', async () => {
    let now = 0;
    let calls = 0;
    const cache = new TtlCache<number>(1000, 10, () => now);
    const compute = async () => ++calls;
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
    now = 999;
    expect(await cache.get('k', compute)).toBe(1);
    now = 1000;
    expect(await cache.get('k', compute)).toBe(2);
    expect(await cache.get('other', compute)).toBe(3);
  });

  it('does not keep a failure, and never caches with a zero TTL', async () => {
    const cache = new TtlCache<number>(1000);
    await expect(cache.get('k', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('k', async () => 7)).toBe(7);
    let calls = 0;
    const none = new TtlCache<number>(0);
    await none.get('k', async () => ++calls);
    await none.get('k', async () => ++calls);
    expect(calls).toBe(2);
  });

  it('stays bounded', async () => {
    const cache = new TtlCache<number>(60_000, 3);
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`, async () => i);
    let recomputed = false;
    await cache.get('k0', async () => ((recomputed = true), 0));
    expect(recomputed).toBe(true);
  });
});

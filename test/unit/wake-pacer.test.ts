import { describe, expect, it } from 'vitest';
import { WakePacer } from '../../activities/wake-pacer';

/** A pacer on a fake clock, whose workers take in `perPoll` records at each look. */
function fakePacer(perPoll: number, opts: { stallMs?: number } = {}) {
  let t = 0;
  const waiting = new Set<string>();
  let looks = 0;
  const pacer = new WakePacer({
    stillWaiting: async (ids) => {
      // The workers take in the oldest records first, perPoll of them between two looks.
      let taken = 0;
      for (const id of [...waiting]) {
        if (taken >= perPoll) break;
        waiting.delete(id);
        taken++;
      }
      return ids.filter((id) => waiting.has(id));
    },
    beat: () => looks++,
    minWindow: 10,
    aheadSeconds: 4,
    pollMs: 500,
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    ...opts,
  });
  const send = async (n: number, from: number) => {
    await pacer.room(n);
    for (let i = from; i < from + n; i++) {
      waiting.add(`d${i}`);
      pacer.sent(`d${i}`);
    }
  };
  return { pacer, send, clock: () => t, looks: () => looks };
}

describe('the wake-up pacer', () => {
  it('sends at once while few are in flight', async () => {
    const { pacer, send, clock } = fakePacer(0);
    await send(5, 0);
    await send(5, 5);
    expect(pacer.pending).toBe(10);
    expect(clock()).toBe(0);
  });

  it('keeps about aheadSeconds of the observed rate in flight, waiting as the workers take them in', async () => {
    // 25 records a look every 500 ms: 50 a second, so 200 may be in flight.
    const { pacer, send, clock, looks } = fakePacer(25);
    let maxInFlight = 0;
    for (let i = 0; i < 2000; i += 10) {
      await send(10, i);
      maxInFlight = Math.max(maxInFlight, pacer.pending);
    }
    expect(looks()).toBeGreaterThan(0);
    expect(pacer.window()).toBeGreaterThanOrEqual(150);
    expect(pacer.window()).toBeLessThanOrEqual(210);
    expect(maxInFlight).toBeLessThanOrEqual(220);
    // 2,000 records at 50 a second: about 40 s, never much faster than the workers.
    expect(clock()).toBeGreaterThanOrEqual(30_000);
    expect(clock()).toBeLessThanOrEqual(45_000);
  });

  it('goes on without records that do not move for stallMs', async () => {
    const { pacer, send, clock } = fakePacer(0, { stallMs: 5_000 });
    await send(10, 0);
    await send(10, 10);
    expect(pacer.pending).toBe(10);
    expect(clock()).toBeGreaterThanOrEqual(5_000);
    expect(clock()).toBeLessThan(6_000);
  });
});

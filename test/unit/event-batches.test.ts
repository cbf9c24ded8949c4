import { describe, expect, it } from 'vitest';
import { EventBatch, batching, inBatch } from '../../api/event-batches';
import type { DossierGateway } from '../../api/dossier-gateway';
import type { Actor } from '../../domain/authorization';
import type { RecordEvent } from '../../domain/schemas';
import { FLUX_BATCH_LINES, fluxBatches, fluxCall } from '../../domain/flux';
import type { EventResult } from '../../workflows/dossier-messages';

/**
 * A partner file's consecutive lines for one dossier (api/event-batches.ts, domain/flux.ts): each
 * line its own call, their events in as few Updates as their calls allow, in the lines' order.
 */
const actor: Actor = { admin: true };
const ev = (type: string, n: number) =>
  ({ eventId: `${type}-${n}`, type, date: '2026-02-01' }) as RecordEvent;
const tick = () => new Promise((r) => setImmediate(r));

/** A gateway that records what it was asked, and answers each event with its id. */
function recorder(refuse = new Set<string>()) {
  const calls: string[][] = [];
  const answer = (e: RecordEvent) =>
    refuse.has(e.eventId)
      ? Promise.reject(new Error(`refused ${e.eventId}`))
      : Promise.resolve({ outcome: 'applied', bodyHash: e.eventId } as unknown as EventResult);
  const gateway = {
    send: async (_id: string, e: RecordEvent) => {
      calls.push([e.eventId]);
      return answer(e);
    },
    sendBatch: async (_id: string, items: readonly { event: RecordEvent }[]) => {
      calls.push(items.map((i) => i.event.eventId));
      return Promise.allSettled(items.map((i) => answer(i.event)));
    },
  } as unknown as DossierGateway;
  return { calls, gateway: batching(gateway) };
}

/** Line `i`'s call: `before` ms of checks, then its event (unless it is refused before), then `after`. */
async function line(
  gateway: DossierGateway,
  batch: EventBatch,
  i: number,
  e: RecordEvent | null,
  steps: { before?: number; after?: () => Promise<void> } = {},
): Promise<string> {
  return inBatch(batch, i, async () => {
    await new Promise((r) => setTimeout(r, steps.before ?? 0));
    if (!e) return `${i} refused before`;
    try {
      const r = await gateway.send('D1', e, actor, '2026-02-01T00:00:00Z');
      await steps.after?.();
      return `${i} ${r.bodyHash}`;
    } catch (err) {
      return `${i} ${(err as Error).message}`;
    }
  });
}

describe('a dossier’s consecutive lines', () => {
  it('send the events that reach the gateway in one Update, in line order, each its own answer', async () => {
    const { calls, gateway } = recorder(new Set(['B-2']));
    const batch = new EventBatch('D1', 4, async () => false);
    const answers = await Promise.all([
      line(gateway, batch, 0, ev('A', 0), { before: 15 }),
      line(gateway, batch, 1, null, { before: 5 }),
      line(gateway, batch, 2, ev('B', 2)),
      line(gateway, batch, 3, ev('C', 3), { before: 1 }),
    ]);
    // Line 0 reached the gateway last; its event still goes first.
    expect(calls).toEqual([['A-0', 'B-2', 'C-3']]);
    expect(answers).toEqual(['0 A-0', '1 refused before', '2 refused B-2', '3 C-3']);
  });

  it('send a lone event as the single call does', async () => {
    const { calls, gateway } = recorder();
    const batch = new EventBatch('D1', 2, async () => false);
    await Promise.all([line(gateway, batch, 0, null), line(gateway, batch, 1, ev('A', 1))]);
    expect(calls).toEqual([['A-1']]);
  });

  it('cut after an event whose call acts after its Update, the next ones once that call is done', async () => {
    const { calls, gateway } = recorder();
    const seen: string[] = [];
    const batch = new EventBatch('D1', 4, async (_id, e) => e.type === 'ENTREE');
    const after = async () => {
      await new Promise((r) => setTimeout(r, 20));
      // What the entry's call does after it (a certification attached) goes alone, before the rest.
      await gateway.send('D1', ev('CERTIFICATION', 9), actor, '');
      seen.push(`effects done, ${calls.length} Updates`);
    };
    const answers = await Promise.all([
      line(gateway, batch, 0, ev('VALIDATION', 0)),
      line(gateway, batch, 1, ev('ENTREE', 1), { after }),
      line(gateway, batch, 2, ev('INTERRUPTION', 2)),
      line(gateway, batch, 3, ev('REPRISE', 3)),
    ]);
    expect(calls).toEqual([
      ['VALIDATION-0', 'ENTREE-1'],
      ['CERTIFICATION-9'],
      ['INTERRUPTION-2', 'REPRISE-3'],
    ]);
    expect(seen).toEqual(['effects done, 2 Updates']);
    expect(answers).toEqual(['0 VALIDATION-0', '1 ENTREE-1', '2 INTERRUPTION-2', '3 REPRISE-3']);
  });

  it('answer every line an error when what the call does after an event cannot be known', async () => {
    const { calls, gateway } = recorder();
    const batch = new EventBatch('D1', 2, async () => {
      throw new Error('database away');
    });
    const answers = await Promise.all([
      line(gateway, batch, 0, ev('A', 0)),
      line(gateway, batch, 1, ev('B', 1)),
    ]);
    expect(calls).toEqual([]);
    expect(answers).toEqual(['0 database away', '1 database away']);
  });

  it('send alone what is outside a batch, or for another dossier', async () => {
    const { calls, gateway } = recorder();
    await gateway.send('D1', ev('A', 0), actor, '');
    const batch = new EventBatch('D2', 1, async () => false);
    await inBatch(batch, 0, () => gateway.send('D1', ev('B', 1), actor, ''));
    await tick();
    expect(calls).toEqual([['A-0'], ['B-1']]);
  });
});

describe('a file’s lines cut into batches', () => {
  const calls = (lines: object[]) =>
    lines.map((l, i) => ({ ligne: i + 1, call: fluxCall(JSON.stringify(l), i + 1) }));
  const shape = (batches: { ligne: number }[][]) => batches.map((b) => b.map((l) => l.ligne));

  it('puts consecutive events of a dossier together, any other line alone', () => {
    const e = (type: string) => ({ op: 'EVENT', dossierId: 'D1', eventId: type, type, date: '2026-01-01' });
    const lines = calls([
      { op: 'CREATE', dossierId: 'D1' },
      e('VALIDATION'),
      e('ENTREE'),
      { op: 'CEP_EVENT', periodeId: 'P1', eventId: 'x', type: 'SERVICE' },
      e('SORTIE'),
    ]);
    expect(shape(fluxBatches(lines))).toEqual([[1], [2, 3], [4], [5]]);
  });

  it(`holds at most ${FLUX_BATCH_LINES} lines and 256 KiB in one batch`, () => {
    const e = (n: number, pad = '') => ({
      op: 'EVENT',
      dossierId: 'D1',
      eventId: `e${n}`,
      type: 'RECTIFICATION',
      date: '2026-01-01',
      pad,
    });
    const many = fluxBatches(calls(Array.from({ length: FLUX_BATCH_LINES + 1 }, (_, n) => e(n))));
    expect(many.map((b) => b.length)).toEqual([FLUX_BATCH_LINES, 1]);
    const big = fluxBatches(calls([e(0, 'x'.repeat(200_000)), e(1, 'x'.repeat(100_000)), e(2)]));
    expect(shape(big)).toEqual([[1], [2, 3]]);
  });
});

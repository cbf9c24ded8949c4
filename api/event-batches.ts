import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from '../domain/authorization';
import type { RecordEvent } from '../domain/schemas';
import type { EventResult } from '../workflows/dossier-messages';
import type { DossierGateway } from './dossier-gateway';

type Item = { event: RecordEvent; actor: Actor; receivedAt: string };
type Queued = {
  state: 'queued';
  index: number;
  item: Item;
  resolve: (r: EventResult) => void;
  reject: (e: unknown) => void;
};
type Slot = { state: 'open' } | { state: 'closed' } | Queued;

/**
 * Whether the call of an event may act after its Update, on the dossier or the person's other
 * records (api/routes/dossiers.ts: an entry wakes the person's CEP follow-ups and attaches the
 * certification results waiting for them): the events after it then go once that call is done.
 */
export type ActsAfter = (dossierId: string, event: RecordEvent) => Promise<boolean>;

/**
 * A partner file's consecutive lines for one dossier, run together (activities/flux.ts). Each
 * line still goes through the single call's route (validation, authorization, the data-quality
 * log, its answer); the events that reach the gateway are sent to the dossier in one Update, in
 * the lines' order, once every line has either reached it or been answered without it. An event
 * whose call may act after its Update (`actsAfter`) ends an Update: the ones after it go once its
 * call is done. Each then answers what it would have answered sent alone after the ones before.
 */
export class EventBatch {
  private readonly slots: Slot[];
  private readonly finished = new Map<number, () => void>();
  private sent = false;
  private gateway: DossierGateway | null = null;

  constructor(
    readonly dossierId: string,
    size: number,
    private readonly actsAfter: ActsAfter,
  ) {
    this.slots = Array.from({ length: size }, () => ({ state: 'open' }));
  }

  /**
   * Line `index`'s event joins the batch: its answer once the batch is sent. Null when it cannot
   * (another dossier, the line's event already in, the batch gone): it is then sent alone.
   */
  join(index: number, dossierId: string, item: Item, gateway: DossierGateway): Promise<EventResult> | null {
    if (this.sent || dossierId !== this.dossierId || this.slots[index]?.state !== 'open') return null;
    this.gateway = gateway;
    return new Promise<EventResult>((resolve, reject) => {
      this.slots[index] = { state: 'queued', index, item, resolve, reject };
      this.sendWhenReady();
    });
  }

  /** Line `index` is answered: if its event never joined, the batch no longer waits for it. */
  leave(index: number): void {
    this.finished.get(index)?.();
    if (this.slots[index]?.state !== 'open') return;
    this.slots[index] = { state: 'closed' };
    this.sendWhenReady();
  }

  private sendWhenReady(): void {
    if (this.sent || this.slots.some((s) => s.state === 'open')) return;
    this.sent = true;
    const queued = this.slots.filter((s): s is Queued => s.state === 'queued');
    const gateway = this.gateway;
    if (queued.length > 0 && gateway) void this.sendAll(gateway, queued);
  }

  /** The events in Updates cut after each one whose call acts after it; every line answered. */
  private async sendAll(gateway: DossierGateway, queued: Queued[]): Promise<void> {
    let from = 0;
    while (from < queued.length) {
      let to = from;
      try {
        while (to < queued.length - 1 && !(await this.actsAfter(this.dossierId, queued[to]!.item.event)))
          to++;
      } catch (e) {
        // Not known: every event left answers the error (a 503 for the partner, the line run again).
        for (const q of queued.slice(from)) q.reject(e);
        return;
      }
      const last = queued[to]!;
      // Its call's own effects done (its line answered) before the next Update.
      const done = to < queued.length - 1 ? this.lineDone(last.index) : null;
      await this.sendChunk(gateway, queued.slice(from, to + 1));
      await done;
      from = to + 1;
    }
  }

  private lineDone(index: number): Promise<void> {
    return new Promise<void>((resolve) => this.finished.set(index, resolve));
  }

  /** One Update for `chunk` (the single call's own for one event), each line its answer. */
  private async sendChunk(gateway: DossierGateway, chunk: Queued[]): Promise<void> {
    if (chunk.length === 1) {
      const [{ item, resolve, reject }] = chunk as [Queued];
      await gateway.send(this.dossierId, item.event, item.actor, item.receivedAt).then(resolve, reject);
      return;
    }
    await gateway
      .sendBatch(
        this.dossierId,
        chunk.map((q) => q.item),
      )
      .then(
        (settled) =>
          settled.forEach((s, i) => {
            if (s.status === 'fulfilled') chunk[i]!.resolve(s.value);
            else chunk[i]!.reject(s.reason);
          }),
        (e: unknown) => chunk.forEach((q) => q.reject(e)),
      );
  }
}

const scope = new AsyncLocalStorage<{ batch: EventBatch; index: number }>();

/** Run line `index` of `batch` (its single call through the partner writes): its event joins the batch. */
export async function inBatch<T>(batch: EventBatch, index: number, run: () => Promise<T>): Promise<T> {
  return scope.run({ batch, index }, async () => {
    try {
      return await run();
    } finally {
      batch.leave(index);
    }
  });
}

/** The gateway whose `send`, within a line run by `inBatch`, joins the line's batch. */
export function batching(gateway: DossierGateway): DossierGateway {
  return {
    ...gateway,
    send(dossierId, event, actor, receivedAt) {
      const at = scope.getStore();
      return (
        at?.batch.join(at.index, dossierId, { event, actor, receivedAt }, gateway) ??
        gateway.send(dossierId, event, actor, receivedAt)
      );
    },
  };
}

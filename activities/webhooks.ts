import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { FEED_START, decodeFeedCursor, encodeFeedCursor, readChanges } from '../db/changes';
import {
  deactivateWebhook as turnOff,
  findWebhook,
  latestChangeId,
  moveCursor,
  recordDelivery,
  recordFailure,
  webhookActor,
} from '../db/webhooks';
import { SIGNATURE_HEADER, signatureHeader } from '../infra/webhook-signature';
import { postBatch } from '../services/webhook-delivery';
import type { DeliverInput, DeliverOutcome } from '../workflows/webhook-messages';

/** The most a batch holds (CONTRACT.md). */
export const BATCH = 100;

/**
 * One process's watch on the feed: a single `max(id)` look every `everyMs` while some delivery
 * waits, so idle webhooks cost one cheap query per worker, not one each.
 */
export function changeWatch(latest: () => Promise<string>, everyMs = 200) {
  let seen = '0';
  const waiters = new Set<() => void>();
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    try {
      const id = await latest();
      if (id !== seen) {
        seen = id;
        for (const wake of [...waiters]) wake();
      }
    } catch {
      // The next look tells; the waiting deliveries read the feed again at their own pace.
    } finally {
      timer = waiters.size > 0 ? setTimeout(() => void tick(), everyMs) : null;
    }
  };
  return {
    /** The newest row id seen so far (up to `everyMs` behind): what a reader waits to pass. */
    seen: () => seen,
    /** Resolves when a row newer than `after` is written, or after `maxMs` anyway. */
    wait(after: string, maxMs: number): Promise<void> {
      if (BigInt(seen) > BigInt(after)) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(limit);
          waiters.delete(wake);
          resolve();
        };
        const limit = setTimeout(wake, maxMs);
        waiters.add(wake);
        timer ??= setTimeout(() => void tick(), everyMs);
      });
    },
  };
}

/**
 * The webhook activities: deliver the next batch (waiting up to `waitMs` for one), and turn a
 * webhook off at the end of its retry window. A delivery reads the partner's feed from the
 * acknowledged position, signs and POSTs it, and moves the position only on a 2xx: a worker
 * killed mid-delivery leaves the position where it was and the batch is sent again (at least once).
 */
export function webhookActivities(deps: {
  orm: MikroORM;
  unseal: (sealed: Buffer) => string;
  allowPrivate: boolean;
  timeoutMs?: number;
}) {
  const { orm, unseal, allowPrivate } = deps;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const watch = changeWatch(() => latestChangeId(orm.em.fork()));

  return {
    async deliverWebhook({ webhookId, waitMs }: DeliverInput): Promise<DeliverOutcome> {
      const ctx = Context.current();
      const em = orm.em.fork();
      const until = Date.now() + waitMs;
      let hook = await findWebhook(em, webhookId);
      if (!hook) return { outcome: 'gone' };
      if (!hook.actif) return { outcome: 'paused' };
      const actor = await webhookActor(em, hook.partnerId);
      if (!actor) return { outcome: 'gone' };
      let stored = hook.cursor;
      let position = (stored && decodeFeedCursor(stored)) || FEED_START;
      let lastCheck = Date.now();
      let delivered = 0;
      for (;;) {
        // Taken before the read: a row written after it wakes the wait below.
        const latest = watch.seen();
        const page = await readChanges(em, actor, position, BATCH);
        const items = hook.events ? page.items.filter((c) => hook!.events!.includes(c.type)) : page.items;
        if (items.length > 0) {
          // Turned off or removed a moment ago: nothing more is sent (the row read just now is fresh).
          if (Date.now() - lastCheck > 50) {
            hook = await findWebhook(em, webhookId);
            lastCheck = Date.now();
            if (!hook) return { outcome: 'gone' };
            if (!hook.actif)
              return delivered > 0 ? { outcome: 'delivered', items: delivered } : { outcome: 'paused' };
          }
          const body = JSON.stringify({ items });
          const at = new Date();
          const result = await postBatch(
            hook.url,
            body,
            {
              [SIGNATURE_HEADER]: signatureHeader(
                unseal(hook.secretSealed),
                body,
                Math.floor(at.getTime() / 1000),
              ),
              'X-Agora-Webhook-Id': hook.id,
            },
            { timeoutMs, allowPrivate },
          );
          await recordDelivery(em, hook.id, { at, ...result, items: items.length });
          const ok = result.status !== null && result.status >= 200 && result.status < 300;
          if (!ok) {
            await recordFailure(em, hook.id, at);
            return { outcome: 'failed', items: items.length, error: result.error ?? 'failed' };
          }
          // Acknowledged: the position moves past the page (what the events filter left out too).
          const to = encodeFeedCursor(page.scanned);
          if (!(await moveCursor(em, hook.id, stored, to, true)))
            return { outcome: 'delivered', items: delivered };
          delivered += items.length;
          // A full page: more are waiting, sent in this same call (one workflow turn for a burst).
          if (page.items.length < BATCH || Date.now() >= until || ctx.cancellationSignal.aborted)
            return { outcome: 'delivered', items: delivered };
          stored = to;
          position = page.scanned;
          ctx.heartbeat();
          continue;
        }
        if (delivered > 0) return { outcome: 'delivered', items: delivered };
        const moved = encodeFeedCursor(page.scanned);
        if (Date.now() >= until || ctx.cancellationSignal.aborted) {
          // Nothing to send: the position moves past what was scanned (not this webhook's).
          if (moved !== (stored ?? encodeFeedCursor(FEED_START)))
            await moveCursor(em, hook.id, stored, moved, false);
          return { outcome: 'idle' };
        }
        position = page.scanned;
        ctx.heartbeat();
        // Turned off or removed meanwhile: said within seconds.
        if (Date.now() - lastCheck > 3000) {
          lastCheck = Date.now();
          hook = await findWebhook(em, webhookId);
          if (!hook) return { outcome: 'gone' };
          if (!hook.actif) return { outcome: 'paused' };
        }
        // A full page (all of it filtered out): the next one at once. Else a new row anywhere, or a
        // second at most (a change held back by an older transaction).
        if (page.items.length < BATCH)
          await watch.wait(latest, Math.min(1000, Math.max(0, until - Date.now())));
      }
    },

    /** The retry window is over: the webhook is DESACTIVE until its partner resumes it. */
    async deactivateWebhook({ webhookId }: { webhookId: string }): Promise<void> {
      await turnOff(orm.em.fork(), webhookId, 'ECHECS');
    },
  };
}

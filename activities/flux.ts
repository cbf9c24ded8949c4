import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type LineAnswer, finishFlux, fluxActor, pendingLines, recordAnswers } from '../db/flux';
import { dossiersAtOnce, fluxCall } from '../domain/flux';
import type { Actor } from '../domain/authorization';

/**
 * A partner write run in process, as api/partner-writes.ts makes it: the single call's routes for
 * that actor, its status and JSON body.
 */
export type PartnerWriter = (
  actor: Actor,
  path: string,
  body: string,
) => Promise<{ status: number; body: unknown }>;

/** Lines read (and answers recorded) at a time in one share of a file. */
const PAGE = 1000;

/**
 * Answers written together: each caller waits for the write of its own (one statement for all the
 * answers given meanwhile, however many dossiers run at once).
 */
function batcher<T>(write: (batch: T[]) => Promise<void>): (item: T) => Promise<void> {
  let pending: { item: T; done: () => void; fail: (e: unknown) => void }[] = [];
  let scheduled = false;
  const flush = async () => {
    const batch = pending;
    pending = [];
    scheduled = false;
    try {
      await write(batch.map((p) => p.item));
      for (const p of batch) p.done();
    } catch (e) {
      for (const p of batch) p.fail(e);
    }
  };
  return (item) =>
    new Promise<void>((done, fail) => {
      pending.push({ item, done, fail });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    });
}

/** Thrown for an answer that says "try again" (503, 500): the share is retried, nothing recorded. */
class RetryLater extends Error {}

/**
 * The partner files' activities: each share of a file runs its lines through the partner writes
 * (api/partner-writes.ts), the lines of one dossier in order, dossiers in parallel.
 */
export function fluxActivities(deps: {
  orm: MikroORM;
  unseal: (sealed: Buffer) => string;
  /** Built on first use: a worker that never runs a file never loads the routes. */
  writer: () => PartnerWriter;
  /**
   * Dossiers of a file run at once, over all its shares (AGORA_FLUX_CONCURRENCY): a file is a
   * partner's burst, not a flood that makes the single calls of others wait.
   */
  concurrency?: number;
}) {
  const { orm, unseal } = deps;
  return {
    /** One share of a file, resumed where it stopped: the lines without an answer, in order. */
    async runFluxLot(input: { fluxId: string; lot: number; lots?: number }): Promise<{ lignes: number }> {
      const atOnce = dossiersAtOnce(deps.concurrency ?? 32, input.lots ?? 1);
      const ctx = Context.current();
      const em = orm.em.fork();
      const actor = await fluxActor(em, input.fluxId);
      if (!actor) return { lignes: 0 };
      const write = deps.writer();
      let done = 0;
      for (;;) {
        const lines = await pendingLines(em, input.fluxId, input.lot, PAGE);
        if (lines.length === 0) return { lignes: done };
        const groups = new Map<string, typeof lines>();
        for (const l of lines) {
          const g = groups.get(l.cle);
          if (g) g.push(l);
          else groups.set(l.cle, [l]);
        }
        // A dossier's next line runs once the answer of the one before is recorded: after a crash
        // a share resumes at the first line without an answer, and at most that line runs again
        // (accepted: the same answer, its eventId known; refused: nothing had changed).
        let answered = 0;
        const record = batcher((batch: LineAnswer[]) => recordAnswers(em, input.fluxId, batch));
        const queue = [...groups.values()];
        const runGroup = async (group: typeof lines) => {
          for (const l of group) {
            const call = fluxCall(unseal(l.contenu), l.ligne);
            if ('status' in call) {
              await record({ ligne: l.ligne, ...call });
              answered++;
              ctx.heartbeat({ lignes: done + answered });
              continue;
            }
            const res = await write(actor, call.path, call.body);
            if (res.status >= 500)
              throw new RetryLater(
                `line ${l.ligne}: answered ${res.status} (${(res.body as { error?: { code?: string } } | null)?.error?.code ?? '?'}), run again`,
              );
            const error = (res.body as { error?: { code?: string; message?: string } } | null)?.error;
            const body = res.body as { dossierId?: string; periodeId?: string } | null;
            await record({
              ligne: l.ligne,
              status: res.status,
              code: error?.code,
              message: error?.message,
              objet: body?.dossierId ?? body?.periodeId ?? (call.objet || undefined),
            });
            answered++;
            // After each answer (the SDK throttles): a share killed is retried within a minute.
            ctx.heartbeat({ lignes: done + answered });
          }
        };
        const workers = Array.from({ length: Math.min(atOnce, queue.length) }, async () => {
          for (let g = queue.shift(); g; g = queue.shift()) await runGroup(g);
        });
        const settled = await Promise.allSettled(workers);
        const failed = settled.find((s) => s.status === 'rejected');
        if (failed) throw failed.reason;
        done += answered;
        ctx.heartbeat({ lignes: done });
      }
    },

    async finishFlux(input: { fluxId: string }): Promise<void> {
      await finishFlux(orm.em.fork(), input.fluxId);
    },
  };
}

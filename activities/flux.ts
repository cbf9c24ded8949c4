import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type LineAnswer, finishFlux, fluxActor, pendingLines, recordAnswers } from '../db/flux';
import { type FluxCall, dossiersAtOnce, fluxBatches as batches, fluxCall } from '../domain/flux';
import type { Actor } from '../domain/authorization';
import { recordRejection } from '../db/rejections';

/** A partner write's answer: its status and JSON body. */
export type WriteAnswer = { status: number; body: unknown };

/**
 * A partner write run in process, as api/partner-writes.ts makes it: the single call's routes for
 * that actor, its status and JSON body. `together(dossierId, size)`: the writes of a dossier's
 * `size` consecutive lines, each by its index, whose events go to the dossier in one Update
 * (api/event-batches.ts).
 */
export type PartnerWriter = ((actor: Actor, path: string, body: string) => Promise<WriteAnswer>) & {
  together: (
    dossierId: string,
    size: number,
  ) => (index: number, actor: Actor, path: string, body: string) => Promise<WriteAnswer>;
};

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
        // A dossier's next lines run once the answers of the ones before are recorded: after a
        // crash a share resumes at the first line without an answer, and at most the lines of one
        // batch run again (accepted: the same answers, their eventIds known; refused: nothing had
        // changed; the batch's Update id the same, Temporal answers it as the first time).
        let answered = 0;
        const record = batcher((batch: LineAnswer[]) => recordAnswers(em, input.fluxId, batch));
        const queue = [...groups.values()];
        const runGroup = async (group: typeof lines) => {
          for (const batch of batches(
            group.map((l) => ({ ligne: l.ligne, call: fluxCall(unseal(l.contenu), l.ligne) })),
          )) {
            const one = batch.length === 1 ? batch[0]! : null;
            const answers: LineAnswer[] = [];
            // A line refused before any route (not JSON, no "op", no id): its answer is already known.
            const early: LineAnswer | null =
              one && 'status' in one.call ? { ligne: one.ligne, ...one.call } : null;
            if (early) answers.push(early);
            else {
              const calls = batch as { ligne: number; call: FluxCall }[];
              const run =
                calls.length > 1
                  ? write.together(calls[0]!.call.objet, calls.length)
                  : (_: number, ...call: Parameters<typeof write>) => write(...call);
              const results = await Promise.all(
                calls.map(({ call }, i) => run(i, actor, call.path, call.body)),
              );
              for (const [i, res] of results.entries()) {
                const { ligne, call } = calls[i]!;
                if (res.status >= 500) {
                  // The answers before it stand; this line and the ones after it run again.
                  await Promise.all(answers.map(record));
                  throw new RetryLater(
                    `line ${ligne}: answered ${res.status} (${(res.body as { error?: { code?: string } } | null)?.error?.code ?? '?'}), run again`,
                  );
                }
                const error = (res.body as { error?: { code?: string; message?: string } } | null)?.error;
                const body = res.body as { dossierId?: string; periodeId?: string } | null;
                answers.push({
                  ligne,
                  status: res.status,
                  code: error?.code,
                  message: error?.message,
                  objet: body?.dossierId ?? body?.periodeId ?? (call.objet || undefined),
                });
              }
            }
            // A batch's answers in one write: all recorded, or none.
            await Promise.all(answers.map(record));
            // Such a line goes to the data-quality log as the routes' refusals do
            // (api/rejection-log.ts): a partner's own, not the admin's.
            if (early && !actor.admin)
              await recordRejection(orm.em.fork(), {
                partnerSiret: actor.siret,
                dossierId: null,
                eventId: null,
                eventType: null,
                code: early.code ?? 'VALIDATION_ERROR',
                message: early.message ?? '',
              }).catch((err: unknown) =>
                ctx.log.warn('could not record a rejection', { error: String(err) }),
              );
            answered += answers.length;
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { startStack } from '../helpers/stack';

/**
 * A long life on the real server: thousands of events (confirmations, and corrections of twenty
 * financing lines) push the dossier across many continue-as-new; its record keeps every event,
 * an eventId of the first run is still recognised, and no run grows past Temporal's limits.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
// 3,000 in `npm test` (a run ends every few hundred events: several continue-as-new); the ten
// thousand of docs/RELIABILITY.md with LONG_LIFE_EVENTS=10000 (some ten minutes on 2 cores).
const N = Number(process.env.LONG_LIFE_EVENTS ?? 3000);

describe('a dossier with thousands of events', () => {
  it('keeps every event in its paged history across continue-as-new, with bounded runs', async () => {
    const region = await stack.partner('REGION', '84');
    const of = await stack.partner('ORGANISME_FORMATION');
    const cofinanceurs = await Promise.all(Array.from({ length: 19 }, () => stack.partner('OPCO')));
    const body = createBody({
      date: day(-60),
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
    });
    const id = body.dossierId;
    let retried = 0;
    // As partners do: a 503 (the call outlived its deadline) is retried with the same event id.
    const send = async (token: string, e: Record<string, unknown>) => {
      for (let attempt = 0; ; attempt++) {
        const res = await stack.call('POST', `/v1/dossiers/${id}/events`, token, e);
        if (res.status !== 503 || attempt === 5) return res;
        retried++;
      }
    };
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    expect((await send(region.token, { eventId: 'v', type: 'VALIDATION', date: day(-50) })).status).toBe(200);
    expect((await send(of.token, { eventId: 'e', type: 'ENTREE', date: day(-40) })).status).toBe(200);
    // Exited ten days ago: the 3-month point waits on a timer some 80 days away.
    expect(
      (await send(of.token, { eventId: 's', type: 'SORTIE', date: day(-10), motif: 'FIN_FORMATION' })).status,
    ).toBe(200);
    const handle = stack.client.workflow.getHandle(`dossier-${id}`);
    const lines = (k: number) => [
      { financeurSiret: region.siret, montantEngage: 100 + k },
      ...cofinanceurs.map((p, j) => ({ financeurSiret: p.siret, montantEngage: 1000 + j })),
    ];
    // Each run, measured while it is there (the suite's reaper deletes closed runs within seconds,
    // as retention does later): its history, and the input it continued as new with.
    const runs = new Map<
      string,
      { events: number; bytes: number; carriedBytes: number; failedTasks: number }
    >();
    const sample = async () => {
      for await (const w of stack.client.workflow.list({ query: `WorkflowId = 'dossier-${id}'` })) {
        if (runs.has(w.runId) || w.status.name === 'RUNNING') continue;
        const history = await stack.client.workflow
          .getHandle(`dossier-${id}`, w.runId)
          .fetchHistory()
          .catch(() => null);
        if (!history) continue;
        const all = history.events ?? [];
        const carried = all.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
          ?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0]?.data?.length;
        runs.set(w.runId, {
          events: all.length,
          bytes: w.historySize ?? 0,
          carriedBytes: carried ?? 0,
          failedTasks: all.filter((e) => e.workflowTaskFailedEventAttributes).length,
        });
      }
    };
    const began = Date.now();
    for (let i = 0; i < N; i += 8) {
      if (i % 400 === 0) await sample();
      const batch = Array.from({ length: Math.min(8, N - i) }, (_, k) => i + k);
      // Sent 8 at a time: the workflow applies them one by one, each once. One in four is the
      // exit told again by its financeur (a confirmation), the others correct twenty lines.
      const results = await Promise.all(
        batch.map((k) =>
          k % 4 === 3
            ? send(region.token, {
                eventId: `x${k}`,
                type: 'SORTIE',
                date: day(-10),
                motif: 'FIN_FORMATION',
              })
            : send(region.token, {
                eventId: `c${k}`,
                type: 'RECTIFICATION',
                date: day(-9),
                changes: { financements: lines(k) },
              }),
        ),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const seconds = Math.round((Date.now() - began) / 1000);

    // Every event in the paged history, in order, each once.
    const events: { seq: number; eventId: string; confirmation?: boolean }[] = [];
    let cursor: string | null = null;
    do {
      const page = await stack.call(
        'GET',
        `/v1/dossiers/${id}/history${cursor ? `?cursor=${cursor}` : ''}`,
        region.token,
      );
      expect(page.status).toBe(200);
      events.push(...page.body.events);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(events).toHaveLength(4 + N);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 4 + N }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(4 + N);
    expect(events.filter((e) => e.confirmation)).toHaveLength(Math.floor(N / 4));
    const dossier = (await stack.call('GET', `/v1/dossiers/${id}`, region.token)).body;
    expect(dossier.financements).toHaveLength(20);

    // An eventId of the first run: a resend answers the dossier and changes nothing, a reuse is refused.
    const resent = await send(region.token, {
      eventId: 'c0',
      type: 'RECTIFICATION',
      date: day(-9),
      changes: { financements: lines(0) },
    });
    expect(resent.status).toBe(200);
    expect(resent.body.version).toBe(dossier.version);
    const reused = await send(of.token, { eventId: 'e', type: 'REPRISE', date: day(-9) });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('EVENT_ID_CONFLICT');

    // Many runs, none failed a task; the largest continue-as-new input and run history, measured.
    await sample();
    const all = [...runs.values()];
    expect(all.length).toBeGreaterThan(N / 1000);
    expect(all.reduce((t, r) => t + r.failedTasks, 0)).toBe(0);
    const largest = (k: 'events' | 'bytes' | 'carriedBytes') => Math.max(...all.map((r) => r[k]));
    console.log(
      `long life: ${N} events in ${seconds} s (${retried} retried), ${all.length} runs measured; ` +
        `largest run ${largest('events')} history events, ${Math.round(largest('bytes') / 1024)} KiB; ` +
        `largest continue-as-new input ${Math.round(largest('carriedBytes') / 1024)} KiB`,
    );
    // Far below Temporal's limits: 2 MB a payload, 50 MB a run's history.
    expect(largest('carriedBytes')).toBeLessThan(512 * 1024);
    expect(largest('bytes')).toBeLessThan(4 * 1024 * 1024);

    // The current run sleeps on a timer: the 3-month point.
    const current = (await handle.fetchHistory()).events ?? [];
    const started = current
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => e.timerStartedEventAttributes!.timerId);
    const ended = new Set(
      current.flatMap((e) => [e.timerFiredEventAttributes?.timerId, e.timerCanceledEventAttributes?.timerId]),
    );
    expect(started.filter((t) => !ended.has(t)).length).toBeGreaterThan(0);
    expect(dossier.situations.find((s: { point: string }) => s.point === 'M3').statut).toBe('EN_ATTENTE');
  }, 600_000);
});

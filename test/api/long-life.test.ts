import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { startStack } from '../helpers/stack';

/**
 * A long life on the real server: thousands of corrections push the dossier across
 * continue-as-new (Temporal caps Updates and history per run); its deduplication, history and
 * pending timer carry over.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('a dossier with thousands of corrections', () => {
  it('crosses continue-as-new with its deduplication, history and pending timer intact', async () => {
    const region = await stack.partner('REGION', '84');
    const of = await stack.partner('ORGANISME_FORMATION');
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
    const firstRunId = (await handle.describe()).runId;
    const N = 2100;
    const began = Date.now();
    for (let i = 0; i < N; i += 4) {
      const batch = Array.from({ length: Math.min(4, N - i) }, (_, k) => i + k);
      // Sent 4 at a time: the workflow applies them one by one, each once.
      const results = await Promise.all(
        batch.map((k) =>
          send(of.token, {
            eventId: `c${k}`,
            type: 'RECTIFICATION',
            date: day(-9),
            changes: { action: { dureeHeures: 100 + k } },
          }),
        ),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    console.log(
      `long life: ${N} corrections in ${Math.round((Date.now() - began) / 1000)} s, ${retried} retried`,
    );
    const described = await handle.describe();
    expect(described.runId).not.toBe(firstRunId);
    const history = await stack.call('GET', `/v1/dossiers/${id}/history`, region.token);
    expect(history.body.events).toHaveLength(4 + N);
    expect(new Set(history.body.events.map((e: { eventId: string }) => e.eventId)).size).toBe(4 + N);
    const dossier = (await stack.call('GET', `/v1/dossiers/${id}`, region.token)).body;
    expect(dossier.version).toBe(4 + N);
    // Events of the first run are still recognised: a resend is a no-op, a reuse a conflict.
    const resent = await send(of.token, {
      eventId: 'c0',
      type: 'RECTIFICATION',
      date: day(-9),
      changes: { action: { dureeHeures: 100 } },
    });
    expect(resent.status).toBe(200);
    expect(resent.body.version).toBe(4 + N);
    const reused = await send(of.token, { eventId: 'e', type: 'REPRISE', date: day(-9) });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('EVENT_ID_CONFLICT');
    // The current run sleeps on a timer (the next point due or the weekly re-check).
    const events = (await handle.fetchHistory()).events ?? [];
    const started = events
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => e.timerStartedEventAttributes!.timerId);
    const ended = new Set(
      events.flatMap((e) => [e.timerFiredEventAttributes?.timerId, e.timerCanceledEventAttributes?.timerId]),
    );
    expect(started.filter((t) => !ended.has(t)).length).toBeGreaterThan(0);
    expect(dossier.situations.find((s: { point: string }) => s.point === 'M3').statut).toBe('EN_ATTENTE');
  }, 300_000);
});

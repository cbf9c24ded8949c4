import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { DeliverOutcome } from '../../workflows/webhook-messages';
import { webhookWakeSignal, webhookWorkflowId } from '../../workflows/webhook-messages';
import { RETRY_WINDOW_MS, retryDelayMs } from '../../workflows/webhook-workflow';

/** A webhook's workflow on the time-skipping server, its receiver down for days (fake activities). */
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('testServerPath') } },
  });
});
afterEach(async () => {
  await env?.teardown();
});

describe('the webhook workflow', () => {
  it('backs off from 10 s to an hour', () => {
    expect([1, 2, 3, 9, 10, 80].map((n) => retryDelayMs(n))).toEqual([
      10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000,
    ]);
  });

  it('turns DESACTIVE after 72 hours of failures, then, resumed, delivers from where it stood', async () => {
    const attempts: number[] = [];
    let deactivatedAt: number | null = null;
    let resumed = false;
    const delivered: string[] = [];
    const taskQueue = `wh-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: {
        async deliverWebhook(): Promise<DeliverOutcome> {
          if (resumed) {
            delivered.push('batch');
            return delivered.length === 1 ? { outcome: 'delivered', items: 3 } : { outcome: 'gone' };
          }
          if (deactivatedAt !== null) return { outcome: 'paused' };
          attempts.push(await env.currentTimeMs());
          return { outcome: 'failed', items: 3, error: 'the receiver answered 503' };
        },
        async deactivateWebhook() {
          deactivatedAt = await env.currentTimeMs();
        },
      },
    });
    await worker.runUntil(async () => {
      const start = await env.currentTimeMs();
      const handle = await env.client.workflow.start('webhookWorkflow', {
        workflowId: webhookWorkflowId(randomUUID()),
        taskQueue,
        args: [{ webhookId: randomUUID() }],
      });
      await env.sleep('75 hours');
      expect(deactivatedAt).not.toBeNull();
      // Tried all along the window, an hour apart at most, and turned off once it was over.
      const elapsed = deactivatedAt! - start;
      expect(elapsed).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
      expect(elapsed).toBeLessThan(RETRY_WINDOW_MS + 3_600_000 + 60_000);
      expect(attempts.length).toBeGreaterThan(75);
      expect(attempts.length).toBeLessThan(90);
      const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(3_600_000 + 60_000);
      // Off: no attempt until the partner resumes it.
      const tried = attempts.length;
      await env.sleep('10 hours');
      expect(attempts.length).toBe(tried);
      resumed = true;
      await handle.signal(webhookWakeSignal);
      await handle.result();
      expect(delivered).toEqual(['batch', 'batch']);
    });
  }, 120_000);
});

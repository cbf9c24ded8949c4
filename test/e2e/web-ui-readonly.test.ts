import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DATA_DIR } from '../../infra/paths';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { startReadOnlyUi } from '../../scripts/ui-proxy';
import { freePort } from '../helpers/global-setup';

/**
 * The embedded Web UI as `npm start` serves it: through the read-only proxy (scripts/ui-proxy.ts),
 * in front of the real UI of a dev server.
 */
let server: ChildProcess;
let proxy: Awaited<ReturnType<typeof startReadOnlyUi>>;
let base = '';
beforeAll(async () => {
  const [grpc, inner, outer] = [await freePort(), await freePort(), await freePort()];
  server = await startDevServer({
    temporalCli: inject('temporalCli'),
    port: grpc,
    uiPort: inner,
    logFile: join(DATA_DIR, 'test', `temporal-ui-${grpc}.log`),
  });
  proxy = await startReadOnlyUi({ port: outer, upstreamPort: inner });
  base = `http://127.0.0.1:${outer}`;
  // The UI server starts a moment after the frontend.
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${base}/api/v1/settings`).catch(() => null))?.status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  if (server) await stopChild(server, 5000);
});

describe('the embedded Temporal Web UI', () => {
  it('says every write action is disabled, and refuses a write call that comes anyway', async () => {
    const settings = (await (await fetch(`${base}/api/v1/settings`)).json()) as Record<string, unknown>;
    expect(settings.DisableWriteActions).toBe(true);
    expect(settings.WorkflowTerminateDisabled).toBe(true);
    expect(settings.WorkflowSignalDisabled).toBe(true);
    for (const [method, path] of [
      ['POST', '/api/v1/namespaces/default/workflows/dossier-X/terminate'],
      ['POST', '/api/v1/namespaces/default/workflows/dossier-X/signal/dsnMonthLoaded'],
      ['POST', '/api/v1/namespaces/default/workflows/dossier-X/update/event'],
      ['DELETE', '/api/v1/namespaces/default/schedules/dsn-retention'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method, body: method === 'POST' ? '{}' : null });
      expect(res.status, path).toBe(403);
    }
    // Reads go through: the pages, the lists, a query.
    expect((await fetch(`${base}/`)).status).toBe(200);
    // The list goes to the shared dev server, busy with the whole suite: a 503 there is its load
    // (the UI server's timeout), not the proxy's refusal; it is asked again a few times.
    let list = await fetch(`${base}/api/v1/namespaces/default/workflows`);
    for (let i = 0; i < 10 && list.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 500));
      list = await fetch(`${base}/api/v1/namespaces/default/workflows`);
    }
    expect(list.status).toBe(200);
    const query = await fetch(`${base}/api/v1/namespaces/default/workflows/none/query/state`, {
      method: 'POST',
      body: '{}',
    });
    expect(query.status).not.toBe(403);
  });
});

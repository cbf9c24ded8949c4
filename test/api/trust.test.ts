import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createBody } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/**
 * The engine's trust boundary (issue 23, item 1): whoever reaches Temporal's port without the
 * platform's keys (the `temporal` CLI, a client of their own) cannot write to a dossier.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let opco: P;
beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  opco = await stack.partner('OPCO');
});
afterAll(async () => stack?.stop());

async function dossier() {
  const b = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 100 }] });
  expect((await stack.call('POST', '/v1/dossiers', region.token, b)).status).toBe(201);
  return b;
}

/** A RECTIFICATION that would make the OPCO a financeur, as the admin: the attack of the issue. */
const forgery = (eventId: string) => ({
  event: {
    eventId,
    type: 'RECTIFICATION',
    date: '2026-01-16',
    changes: {
      financements: [
        { financeurSiret: region.siret, montantEngage: 100 },
        { financeurSiret: opco.siret, montantEngage: 1 },
      ],
    },
  },
  bodyHash: 'anything',
  actor: { admin: true },
  receivedAt: new Date().toISOString(),
});

describe('only the platform writes to a dossier', () => {
  it('refuses an Update sent with a client of its own (plain payload, no vouch), and goes on', async () => {
    const b = await dossier();
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const plain = new Client({ connection });
      const err = await plain.workflow
        .getHandle(`dossier-${b.dossierId}`)
        .executeUpdate('event', { args: [forgery('forged-plain')], updateId: 'forged-plain' })
        .catch((e: unknown) => e);
      // Refused, and the reason itself is encrypted: this client cannot even read it.
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toMatch(/binary\/encrypted|only the platform writes/);
    } finally {
      await connection.close();
    }
    const d = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, ADMIN_TOKEN);
    expect(d.body.financements).toHaveLength(1);
    expect(d.body.version).toBe(1);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, opco.token)).status).toBe(404);
    // The dossier takes the platform's events as before.
    const ok = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, {
      eventId: 'v-after',
      type: 'VALIDATION',
      date: '2026-01-20',
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a batch of events (the Update partner files use) without the vouch, even encrypted with the keys', async () => {
    const b = await dossier();
    // The platform's own client and keys, without the key the API vouches with.
    const err = await stack.client.workflow
      .getHandle(`dossier-${b.dossierId}`)
      .executeUpdate('events', { args: [{ messages: [forgery('forged-batch')] }], updateId: 'forged-batch' })
      .catch((e: unknown) => e);
    expect(String((err as Error).cause ?? err)).toMatch(/only the platform writes/);
    const d = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, ADMIN_TOKEN);
    expect(d.body.financements).toHaveLength(1);
    expect(d.body.version).toBe(1);
  });

  it('refuses the same through the temporal CLI, and the dossier goes on', async () => {
    const b = await dossier();
    const r = spawnSync(
      inject('temporalCli'),
      [
        'workflow',
        'update',
        'execute',
        '--address',
        inject('temporalAddress'),
        '--workflow-id',
        `dossier-${b.dossierId}`,
        '--name',
        'event',
        '--input',
        JSON.stringify(forgery('forged-cli')),
        '--update-id',
        'forged-cli',
      ],
      { encoding: 'utf8', timeout: 25_000 },
    );
    // The CLI gets no acceptance (an error, or no answer it can read before it gives up).
    expect(r.status).not.toBe(0);
    let d = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, ADMIN_TOKEN);
    // The refusal may still be on its way when the CLI gives up: the dossier answers again at once after.
    for (let i = 0; i < 60 && d.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      d = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, ADMIN_TOKEN);
    }
    expect(d.body.financements).toHaveLength(1);
    expect(d.body.version).toBe(1);
    const ok = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, {
      eventId: 'v-after-cli',
      type: 'VALIDATION',
      date: '2026-01-20',
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a payload encrypted through the codec endpoint by an operator: it lacks the API's vouch", async () => {
    const b = await dossier();
    // The operator's tool encrypts through /codec/encode (admin), as `--codec-endpoint` does.
    const encoded = await stack.app.request('/codec/encode', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: { encoding: Buffer.from('json/plain').toString('base64') },
            data: Buffer.from(JSON.stringify(forgery('forged-codec'))).toString('base64'),
          },
        ],
      }),
    });
    expect(encoded.status).toBe(200);
    const { payloads } = (await encoded.json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const response = await connection.workflowService.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: `dossier-${b.dossierId}` },
        waitPolicy: { lifecycleStage: 3 },
        request: {
          meta: { updateId: 'forged-codec' },
          input: {
            name: 'event',
            args: {
              payloads: payloads.map((p) => ({
                metadata: Object.fromEntries(
                  Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
                ),
                data: Buffer.from(p.data, 'base64'),
              })),
            },
          },
        },
      });
      expect(response.outcome?.failure).toBeTruthy();
    } finally {
      await connection.close();
    }
    const d = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, ADMIN_TOKEN);
    expect(d.body.financements).toHaveLength(1);
    // And the key the API vouches with never shows in decoded payloads.
    const history = await stack.client.workflow.getHandle(`dossier-${b.dossierId}`).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const decoded = await stack.app.request('/codec/decode', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(input!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
            ),
            data: Buffer.from(input!.data!).toString('base64'),
          },
        ],
      }),
    });
    const shown = Buffer.from(
      ((await decoded.json()) as { payloads: { data: string }[] }).payloads[0]!.data,
      'base64',
    );
    expect(JSON.parse(shown.toString()).vouchKey).toBe('[redacted]');
  });
});

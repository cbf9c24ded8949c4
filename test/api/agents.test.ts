import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAgentByEmail } from '../../db/agents';
import { checkPassword } from '../../infra/passwords';
import { siret, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/** CONTRACT.md, "Console sign-in (agents)": the admin creates and disables agents. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => stack?.stop());

describe('console agents (admin API)', () => {
  it('creates an agent for a partner with a password shown once and kept hashed, then disables it', async () => {
    const partner = await stack.partner('REGION', '84');
    const email = `Agent.${uid()}@region.example`;
    const made = await stack.call('POST', '/v1/admin/agents', ADMIN_TOKEN, {
      email,
      siret: partner.siret,
      nom: 'Martin',
      prenom: 'Claire',
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      motDePasse: expect.any(String),
    });
    expect(made.body.motDePasse.length).toBeGreaterThanOrEqual(20);
    // Kept as a scrypt hash only; the agent acts for that partner.
    const agent = await findAgentByEmail(stack.orm.em.fork(), email);
    expect(agent).toMatchObject({ partnerSiret: partner.siret, nom: 'Martin', prenom: 'Claire' });
    expect(agent!.passwordHash).toMatch(/^scrypt\$/);
    expect(agent!.passwordHash).not.toContain(made.body.motDePasse);
    expect(await checkPassword(made.body.motDePasse, agent!.passwordHash)).toBe(true);
    expect(await checkPassword(`${made.body.motDePasse}x`, agent!.passwordHash)).toBe(false);
    // The same email (whatever its case): 409; disabled: no longer found for a sign-in.
    const again = await stack.call('POST', '/v1/admin/agents', ADMIN_TOKEN, {
      email: email.toUpperCase(),
      siret: partner.siret,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_EXISTS');
    expect((await stack.call('DELETE', `/v1/admin/agents/${made.body.id}`, ADMIN_TOKEN)).status).toBe(204);
    expect(await findAgentByEmail(stack.orm.em.fork(), email)).toBeNull();
  });

  it('refuses an unknown partner, a bad email, a partner token, and an unknown agent', async () => {
    const partner = await stack.partner('OPCO');
    const unknown = await stack.call('POST', '/v1/admin/agents', ADMIN_TOKEN, {
      email: `a.${uid()}@x.example`,
      siret: siret('4999999900001'),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].path).toBe('body.siret');
    const bad = await stack.call('POST', '/v1/admin/agents', ADMIN_TOKEN, {
      email: 'nope',
      siret: partner.siret,
    });
    expect(bad.status).toBe(400);
    expect(
      (
        await stack.call('POST', '/v1/admin/agents', partner.token, {
          email: 'a@b.example',
          siret: partner.siret,
        })
      ).status,
    ).toBe(403);
    expect(
      (await stack.call('DELETE', '/v1/admin/agents/00000000-0000-4000-8000-000000000000', ADMIN_TOKEN))
        .status,
    ).toBe(404);
  });
});

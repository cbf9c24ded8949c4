import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { PartnerKind } from '../../domain/codes';
import { AuditQuery, CreatePartnerBody, DateString, Siret, Text } from '../../domain/schemas';
import { isInstant } from '../../domain/dates';
import { listAnomalies } from '../../db/anomalies';
import {
  PartnerExistsError,
  PrefixTakenError,
  addToken,
  createPartner,
  listPartners,
  revokeToken,
} from '../../db/partners';
import { listAccess } from '../../db/audit';
import { refreshOpenData } from '../../db/open-data';
import {
  AgentExistsError,
  UnknownPartnerError,
  createAgent,
  disableAgent,
  listAgents,
  resetAgentPassword,
} from '../../db/agents';
import { hashPassword, newPassword } from '../../infra/passwords';
import { errors, json, router, security } from '../route-kit';
import { badCursor } from './paging';
import { MAX_BIGINT } from '../../db/changes';
import { adminOnly } from '../auth';
import { ApiError } from '../errors';

const PartnerOut = z.object({
  id: z.string(),
  siret: z.string(),
  name: z.string(),
  kind: PartnerKind,
  region: z.string().nullable(),
  reseau: z.string().nullable(),
  prefixes: z.array(z.string()),
  createdAt: z.string(),
  tokens: z.array(
    z.object({
      id: z.string(),
      createdAt: z.string(),
      lastUsedAt: z.string().nullable(),
      revokedAt: z.string().nullable(),
    }),
  ),
});
const PartnerParams = z.object({ partnerId: z.uuid() });
const CreateAgentBody = z.strictObject({
  email: z.email().max(254),
  siret: Siret,
  nom: Text(100).optional(),
  prenom: Text(100).optional(),
});

/** The daily anomaly report's answer (the console reads it with this type). */
export const AnomalyReport = z.object({
  items: z.array(
    z.object({
      day: z.string(),
      partnerSiret: z.string(),
      partnerName: z.string().nullable(),
      rule: z.string(),
      description: z.string(),
      count: z.number().int(),
      threshold: z.number().int(),
    }),
  ),
});
export type AnomalyReport = z.infer<typeof AnomalyReport>;

export function adminRoutes({ orm, onRevoke }: { orm: MikroORM; onRevoke: (tokenId: string) => void }) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/partners',
      summary: 'Create a partner and its token (admin); the token is shown once',
      security,
      middleware: [adminOnly] as const,
      request: { body: { required: true, content: { 'application/json': { schema: CreatePartnerBody } } } },
      responses: {
        201: json(
          z.object({
            id: z.string(),
            siret: z.string(),
            kind: PartnerKind,
            token: z.string(),
            tokenId: z.string(),
          }),
          'created',
        ),
        ...errors(400, 401, 403, 409, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      try {
        const { partner, token, tokenId } = await createPartner(orm.em.fork(), body);
        return c.json({ id: partner.id, siret: partner.siret, kind: partner.kind, token, tokenId }, 201);
      } catch (e) {
        if (e instanceof PrefixTakenError) {
          throw new ApiError('ALREADY_EXISTS', `${e.message}: prefixes are each one partner's`, {
            prefix: e.prefix,
            overlaps: e.overlaps,
            owner: e.owner,
          });
        }
        if (e instanceof PartnerExistsError) {
          throw new ApiError('ALREADY_EXISTS', `a partner with SIRET ${body.siret} already exists`, {
            siret: body.siret,
          });
        }
        throw e;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/admin/partners',
      summary: 'List the partners (admin)',
      security,
      middleware: [adminOnly] as const,
      responses: {
        200: json(z.object({ items: z.array(PartnerOut) }), 'partners'),
        ...errors(401, 403, 503),
      },
    }),
    async (c) => {
      const items = await listPartners(orm.em.fork());
      return c.json({ items: items.map((p) => ({ ...p, createdAt: p.createdAt.toISOString() })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/partners/{partnerId}/tokens',
      summary:
        "Add a token to a partner (rotation); shown once. The partner's other tokens stay live until revoked",
      security,
      middleware: [adminOnly] as const,
      request: { params: PartnerParams },
      responses: {
        201: json(z.object({ id: z.string(), token: z.string() }), 'the new token'),
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { partnerId } = c.req.valid('param');
      const added = await addToken(orm.em.fork(), partnerId);
      if (!added) throw new ApiError('NOT_FOUND', `no partner ${partnerId}`);
      return c.json({ id: added.tokenId, token: added.token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/agents',
      summary:
        'Create a console agent: a person who signs in for the partner of that SIRET; the password is shown once',
      security,
      middleware: [adminOnly] as const,
      request: { body: { content: { 'application/json': { schema: CreateAgentBody } }, required: true } },
      responses: {
        201: json(
          z.object({ id: z.string(), email: z.string(), motDePasse: z.string() }),
          'the agent, and its password (shown once)',
        ),
        ...errors(400, 401, 403, 409, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const motDePasse = newPassword();
      try {
        const agent = await createAgent(orm.em.fork(), {
          email: body.email,
          siret: body.siret,
          nom: body.nom,
          prenom: body.prenom,
          passwordHash: await hashPassword(motDePasse),
        });
        return c.json({ id: agent.id, email: agent.email, motDePasse }, 201);
      } catch (e) {
        if (e instanceof UnknownPartnerError) {
          const message = `no partner ${body.siret}: an agent signs in for a registered partner`;
          throw new ApiError('VALIDATION_ERROR', message, [{ path: 'body.siret', message }]);
        }
        // (The email is the agent's personal datum: not echoed.)
        if (e instanceof AgentExistsError)
          throw new ApiError('ALREADY_EXISTS', 'an agent with this email exists already');
        throw e;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/admin/agents',
      summary: 'The console agents, newest first, enabled or not (admin)',
      security,
      middleware: [adminOnly] as const,
      responses: {
        200: json(
          z.object({
            items: z.array(
              z.object({
                id: z.string(),
                email: z.string(),
                siret: z.string(),
                nom: z.string().nullable(),
                prenom: z.string().nullable(),
                creeLe: z.string(),
                actif: z.boolean(),
              }),
            ),
          }),
          'the agents',
        ),
        ...errors(401, 403, 503),
      },
    }),
    async (c) => c.json({ items: await listAgents(orm.em.fork()) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/agents/{agentId}/mot-de-passe',
      summary:
        'A new password for an agent (shown once; the agent is enabled again); the old one stops working',
      security,
      middleware: [adminOnly] as const,
      request: { params: z.object({ agentId: z.uuid() }) },
      responses: {
        200: json(
          z.object({ id: z.string(), email: z.string(), motDePasse: z.string() }),
          'the agent, and its new password (shown once)',
        ),
        ...errors(400, 401, 403, 404, 503),
      },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const motDePasse = newPassword();
      const agent = await resetAgentPassword(orm.em.fork(), agentId, await hashPassword(motDePasse));
      if (!agent) throw new ApiError('NOT_FOUND', `no agent ${agentId}`);
      return c.json({ ...agent, motDePasse }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/admin/agents/{agentId}',
      summary: 'Disable a console agent: it can no longer sign in',
      security,
      middleware: [adminOnly] as const,
      request: { params: z.object({ agentId: z.uuid() }) },
      responses: { 204: { description: 'disabled' }, ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { agentId } = c.req.valid('param');
      if (!(await disableAgent(orm.em.fork(), agentId)))
        throw new ApiError('NOT_FOUND', `no agent ${agentId}`);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/admin/open-data',
      summary:
        'Publish a new version of the open data now (the `open-data` Schedule does it daily at 02:30, Paris)',
      security,
      middleware: [adminOnly] as const,
      responses: {
        200: json(z.object({ generatedAt: z.string(), lines: z.number().int() }), 'the version published'),
        ...errors(401, 403, 503),
      },
    }),
    async (c) => c.json(await refreshOpenData(orm.em.fork()), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/admin/partners/{partnerId}/tokens/{tokenId}',
      summary: 'Revoke a token: refused at once by this instance, by every other within 2 seconds',
      security,
      middleware: [adminOnly] as const,
      request: { params: PartnerParams.extend({ tokenId: z.uuid() }) },
      responses: { 204: { description: 'revoked' }, ...errors(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const { partnerId, tokenId } = c.req.valid('param');
      if (!(await revokeToken(orm.em.fork(), partnerId, tokenId))) {
        throw new ApiError('NOT_FOUND', `partner ${partnerId} has no token ${tokenId}`);
      }
      onRevoke(tokenId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/admin/audit',
      summary: 'Reads of personal data (full NIR, NIR searches, exports), newest first (admin)',
      security,
      middleware: [adminOnly] as const,
      request: { query: AuditQuery },
      responses: {
        200: json(
          z.object({
            items: z.array(
              z.object({
                at: z.string(),
                actor: z.string(),
                actorSiret: z.string().nullable(),
                /** The console's agent (email) who read it; null: a partner's system or the admin. */
                agent: z.string().nullable(),
                action: z.string(),
                dossierId: z.string().nullable(),
                detail: z.unknown(),
              }),
            ),
            nextCursor: z.string().nullable(),
          }),
          'a page of audit entries',
        ),
        ...errors(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const { since, until, dossierId, actor, action, limit, cursor } = c.req.valid('query');
      let after: { at: string; id: string } | undefined;
      if (cursor !== undefined) {
        const parsed = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|(\d{1,19})$/.exec(
          Buffer.from(cursor, 'base64url').toString('utf8'),
        );
        if (!parsed || !isInstant(parsed[1]!) || BigInt(parsed[2]!) > MAX_BIGINT) throw badCursor('query');
        after = { at: parsed[1]!, id: parsed[2]! };
      }
      const page = await listAccess(orm.em.fork(), {
        ...(since ? { since: new Date(since) } : {}),
        ...(until ? { until: new Date(until) } : {}),
        ...(dossierId ? { dossierId } : {}),
        ...(actor ? { actor } : {}),
        ...(action ? { action } : {}),
        ...(after ? { after } : {}),
        limit,
      });
      const nextCursor = page.next
        ? Buffer.from(`${page.next.at}|${page.next.id}`).toString('base64url')
        : null;
      return c.json({ items: page.items, nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/admin/anomalies',
      summary: 'The daily anomaly report: partners whose use of the platform stood out (admin)',
      description:
        'Computed each night by the `anomaly-report` Schedule over the day before; rules and thresholds in docs/SECURITY.md.',
      security,
      middleware: [adminOnly] as const,
      request: {
        query: z.object({
          since: DateString.optional().meta({ description: 'the first day reported (default: 30 days ago)' }),
        }),
      },
      responses: {
        200: json(AnomalyReport, 'the reports, newest day first'),
        ...errors(400, 401, 403, 503),
      },
    }),
    async (c) => {
      const since =
        c.req.valid('query').since ?? new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
      return c.json({ items: await listAnomalies(orm.em.fork(), since) }, 200);
    },
  );

  return app;
}

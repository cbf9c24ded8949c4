import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../domain/authorization';
import { HistoryType } from '../../domain/schemas';
import { CepEvent } from '../../domain/cep-schemas';
import { encodeFeedCursor, feedHead } from '../../db/changes';
import type { WebhookRow } from '../../db/webhooks';
import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
} from '../../db/webhooks';
import { newWebhookSecret } from '../../infra/webhook-signature';
import { checkWebhookTarget, checkWebhookUrl } from '../../services/webhook-delivery';
import { webhookWakeSignal, webhookWorkflowId } from '../../workflows/webhook-messages';
import type { webhookWorkflow } from '../../workflows/webhook-workflow';
import { errors, json, router, security } from '../route-kit';
import { ApiError } from '../errors';

/** The `type`s a change may have (CONTRACT.md): the events of dossiers and periods, and the platform's own. */
const CHANGE_TYPES = [
  ...new Set([
    ...HistoryType.options,
    ...CepEvent.options.map((o) => o.shape.type.value),
    'SITUATION',
    'CERTIFICATION',
    'REMUNERATION',
  ]),
];

const Url = z
  .string()
  .max(2048)
  .meta({ description: 'https:// to a public address', example: 'https://partenaire.example/agora' });
const Events = z
  .array(z.enum(CHANGE_TYPES as [string, ...string[]]))
  .min(1)
  .max(CHANGE_TYPES.length)
  .meta({ description: 'only the changes of these types (default: every change)' });

const CreateBody = z.strictObject({ url: Url, events: Events.optional() });
const UpdateBody = z
  .strictObject({
    actif: z
      .boolean()
      .optional()
      .meta({ description: 'true: resume (from the first change not acknowledged)' }),
    url: Url.optional(),
    events: Events.nullable().optional(),
  })
  .refine((b) => b.actif !== undefined || b.url !== undefined || b.events !== undefined, {
    message: 'give actif, url or events',
  });
const Params = z.object({ id: z.uuid() });

const WebhookView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()).nullable(),
    statut: z.enum(['ACTIF', 'DESACTIVE']),
    motifDesactivation: z
      .enum(['ECHECS', 'PARTENAIRE'])
      .nullable()
      .meta({ description: 'ECHECS: 72 hours without a 2xx; PARTENAIRE: turned off by the partner' }),
    echecs: z.number().int().meta({ description: 'failed attempts since the last acknowledged batch' }),
    enEchecDepuis: z.string().nullable(),
    dernierAcquittement: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });
const Created = WebhookView.extend({ secret: z.string().meta({ description: 'shown once: keep it' }) });
const Delivery = z.object({
  at: z.string(),
  status: z.number().int().nullable().meta({ description: "the receiver's status; null: no answer" }),
  durationMs: z.number().int(),
  items: z.number().int(),
  error: z.string().nullable(),
});

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const view = (w: WebhookRow): z.infer<typeof WebhookView> => ({
  id: w.id,
  url: w.url,
  events: w.events,
  statut: w.actif ? 'ACTIF' : 'DESACTIVE',
  motifDesactivation: w.actif ? null : ((w.motifDesactivation ?? 'PARTENAIRE') as 'ECHECS' | 'PARTENAIRE'),
  echecs: w.echecs,
  enEchecDepuis: iso(w.enEchecDepuis),
  dernierAcquittement: iso(w.dernierAcquittement),
  createdAt: iso(w.createdAt)!,
});

/**
 * CONTRACT.md, "Change feed and webhooks": a partner's webhook (one), its state and its recent
 * attempts. Each webhook is a workflow (workflows/webhook-workflow.ts) that the routes start and
 * wake; what it delivers and where it stands live in PostgreSQL (db/webhooks.ts).
 */
export function webhookRoutes(deps: {
  orm: MikroORM;
  client: Client;
  taskQueue: string;
  seal: (text: string) => Buffer;
  allowPrivate: boolean;
  /** Tests: the workflows' first back-off step and long-poll (defaults: 10 s, 20 s). */
  timing?: { retryBaseMs?: number; waitMs?: number };
}) {
  const { orm, client, taskQueue, allowPrivate } = deps;
  const input = (webhookId: string) => ({ webhookId, ...deps.timing });
  const app = router();

  const checkedUrl = async (raw: string) => {
    const refused = (message: string) =>
      new ApiError('VALIDATION_ERROR', message, [{ path: 'body.url', message }]);
    const form = checkWebhookUrl(raw, allowPrivate);
    if (!form.ok) throw refused(form.message);
    const target = await checkWebhookTarget(form.url, allowPrivate);
    if (!target.ok) throw refused(target.message);
    return form.url.toString();
  };

  /** The caller's webhook (the admin: any), else 404. */
  const own = async (actor: Actor, id: string) => {
    const w = await findWebhook(orm.em.fork(), id);
    if (!w || (!actor.admin && w.partnerId !== actor.partnerId))
      throw new ApiError('NOT_FOUND', `no webhook ${id} of yours`);
    return w;
  };

  const wake = async (id: string, start: boolean) => {
    if (start) {
      await client.workflow.signalWithStart<typeof webhookWorkflow, []>('webhookWorkflow', {
        workflowId: webhookWorkflowId(id),
        taskQueue,
        args: [input(id)],
        signal: webhookWakeSignal,
        signalArgs: [],
      });
      return;
    }
    try {
      await client.workflow.getHandle(webhookWorkflowId(id)).signal(webhookWakeSignal);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks',
      summary:
        "Subscribe to the partner's changes from now on: POSTed signed, in order, in batches of up to 100",
      description:
        'One per partner. The platform POSTs `{"items": [...]}` (the items of GET /v1/changes) with `X-Agora-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, keyed with the secret this answer shows once. A 2xx acknowledges a batch; anything else is retried with back-off for 72 hours, then the webhook is DESACTIVE.',
      security,
      request: { body: { content: { 'application/json': { schema: CreateBody } }, required: true } },
      responses: { 201: json(Created, 'subscribed'), ...errors(400, 403, 409) },
    }),
    async (c) => {
      const actor = c.get('actor');
      if (actor.admin)
        throw new ApiError('FORBIDDEN', "a webhook is a partner's: subscribe with the partner's token");
      const body = c.req.valid('json');
      const url = await checkedUrl(body.url);
      const secret = newWebhookSecret();
      const em = orm.em.fork();
      const row = await insertWebhook(em, {
        id: randomUUID(),
        partnerId: actor.partnerId,
        url,
        events: body.events ?? null,
        secretSealed: deps.seal(secret),
        // From its creation on: what came before is in GET /v1/changes.
        cursor: encodeFeedCursor(await feedHead(em)),
      });
      if (!row) {
        const [existing] = await listWebhooks(em, actor.partnerId);
        throw new ApiError(
          'ALREADY_EXISTS',
          `this partner has a webhook already (${existing?.id}): change it with PUT /v1/webhooks/${existing?.id}, or DELETE it first`,
          { id: existing?.id },
        );
      }
      try {
        await client.workflow.start<typeof webhookWorkflow>('webhookWorkflow', {
          workflowId: webhookWorkflowId(row.id),
          taskQueue,
          args: [input(row.id)],
          staticSummary: `Webhook ${row.id} · partenaire ${actor.siret}`,
        });
      } catch (e) {
        // Not started: nothing kept, the partner may try again.
        await deleteWebhook(em, row.id);
        throw e;
      }
      return c.json({ ...view(row), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks',
      summary: "The partner's webhook (the admin: every partner's)",
      security,
      responses: { 200: json(z.object({ items: z.array(WebhookView) }), 'the webhooks'), ...errors(401) },
    }),
    async (c) => {
      const actor = c.get('actor');
      const rows = await listWebhooks(orm.em.fork(), actor.admin ? null : actor.partnerId);
      return c.json({ items: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}',
      summary: "A webhook's state",
      security,
      request: { params: Params },
      responses: { 200: json(WebhookView, 'the webhook'), ...errors(400, 404) },
    }),
    async (c) => c.json(view(await own(c.get('actor'), c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/webhooks/{id}',
      summary: 'Resume (`{"actif": true}`), turn off, or change the URL or the types of a webhook',
      description:
        'Resumed, it delivers again from the first change not acknowledged, at once (a webhook failing but not yet DESACTIVE tries again at once too).',
      security,
      request: {
        params: Params,
        body: { content: { 'application/json': { schema: UpdateBody } }, required: true },
      },
      responses: { 200: json(WebhookView, 'the webhook'), ...errors(400, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await own(c.get('actor'), id);
      const url = body.url === undefined ? undefined : await checkedUrl(body.url);
      const row = await updateWebhook(orm.em.fork(), id, {
        ...(body.actif !== undefined ? { actif: body.actif } : {}),
        ...(url !== undefined ? { url } : {}),
        ...(body.events !== undefined ? { events: body.events } : {}),
      });
      if (!row) throw new ApiError('NOT_FOUND', `no webhook ${id} of yours`);
      // Started again if its workflow ended (it ends only when removed: this is a safety net).
      await wake(id, row.actif);
      return c.json(view(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/webhooks/{id}',
      summary: 'Remove a webhook (a new one gets a new secret)',
      security,
      request: { params: Params },
      responses: { 204: { description: 'removed' }, ...errors(400, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await own(c.get('actor'), id);
      await deleteWebhook(orm.em.fork(), id);
      await wake(id, false);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/webhooks/{id}/livraisons',
      summary: "A webhook's recent attempts, newest first (the last 100)",
      security,
      request: { params: Params },
      responses: { 200: json(z.object({ items: z.array(Delivery) }), 'the attempts'), ...errors(400, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await own(c.get('actor'), id);
      const items = await listDeliveries(orm.em.fork(), id);
      return c.json({ items: items.map((d) => ({ ...d, at: iso(d.at)! })) }, 200);
    },
  );

  return app;
}

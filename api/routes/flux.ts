import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { dropFlux, fluxAnswers, fluxRow, storeFlux } from '../../db/flux';
import { type Actor, sourceOf } from '../../domain/authorization';
import { FLUX_MAX_LINES, fluxCall, fluxLot, fluxLots } from '../../domain/flux';
import { fluxWorkflowId } from '../../workflows/flux-messages';
import { ApiError } from '../errors';
import { errors, json, router, security } from '../route-kit';

const FluxId = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'a fluxId as POST /v1/flux answered it (32 hexadecimal characters)');

const FluxStatus = z
  .object({
    fluxId: z.string(),
    statut: z.enum(['EN_COURS', 'TERMINE']),
    lignes: z.number().int(),
    traitees: z.number().int(),
    acceptees: z.number().int(),
    refusees: z.number().int(),
    debut: z.string(),
    fin: z.string().nullable(),
  })
  .meta({ id: 'FluxStatus' });

const LineAnswer = z.object({
  ligne: z
    .number()
    .int()
    .meta({ description: "the line's number in the file (from 1, blank lines counted)" }),
  status: z.number().int().meta({ description: 'the HTTP status the same single call answers' }),
  code: z.string().optional().meta({ description: "the error's code, for a refused line" }),
  message: z.string().optional(),
  objet: z.string().optional().meta({ description: 'the dossierId or periodeId of the line' }),
});

const ResultsQuery = z.object({
  statut: z.enum(['ACCEPTE', 'REFUSE']).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,7}$/, 'a nextCursor this route answered')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

/** A file's id: the sender and the file's lines (the same file sent again is the same file). */
const fluxIdOf = (sender: string, lines: readonly string[]) => {
  const h = createHash('sha256').update(sender).update('\0');
  for (const l of lines) h.update(l).update('\n');
  return h.digest('hex').slice(0, 32);
};

/** Partner files (CONTRACT.md, "Partner files (batch)"). */
export function fluxRoutes(deps: {
  orm: MikroORM;
  client: Client;
  taskQueue: string;
  seal: (text: string) => Buffer;
}) {
  const { orm, client, taskQueue, seal } = deps;
  const app = router();

  const start = (fluxId: string, lots: number) =>
    client.workflow
      .start('fluxWorkflow', {
        taskQueue,
        workflowId: fluxWorkflowId(fluxId),
        args: [{ fluxId, lots }],
        // A file runs once: sent again after it ran, nothing is run again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      })
      .catch((e: unknown) => {
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      });

  /** The file of this sender, or 404 (another partner's file is not there for it). */
  const visible = async (actor: Actor, fluxId: string) => {
    const row = await fluxRow(orm.em.fork(), fluxId);
    if (!row || (!actor.admin && row.sender !== actor.siret))
      throw new ApiError('NOT_FOUND', `no file ${fluxId} sent by you`);
    return row;
  };

  app.post('/v1/flux', async (c) => {
    const actor = c.get('actor');
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-ndjson' && type !== 'application/ndjson')
      throw new ApiError(
        'VALIDATION_ERROR',
        'send the file as Content-Type: application/x-ndjson, one creation or event per line',
        [{ path: 'content-type', message: `expected application/x-ndjson, not ${type || 'none'}` }],
      );
    const text = await c.req.text();
    const all = text.split('\n').map((l, i) => ({ ligne: i + 1, text: l.trim() }));
    const lines = all.filter((l) => l.text !== '');
    if (lines.length === 0)
      throw new ApiError('VALIDATION_ERROR', 'the file is empty: one creation or event per line', [
        { path: 'body', message: 'no line' },
      ]);
    if (lines.length > FLUX_MAX_LINES)
      throw new ApiError(
        'PAYLOAD_TOO_LARGE',
        `a file holds at most ${FLUX_MAX_LINES} lines (this one has ${lines.length}): send several`,
      );
    const sender = sourceOf(actor);
    const fluxId = fluxIdOf(
      sender,
      lines.map((l) => `${l.ligne}:${l.text}`),
    );
    const lots = fluxLots(lines.length);
    const em = orm.em.fork();
    const stored = await storeFlux(
      em,
      // The actor as authenticated now: the lines run for it (never a console agent: a token).
      { fluxId, sender, actor, lots },
      lines.map((l) => {
        const { cle } = fluxCall(l.text, l.ligne);
        return { ligne: l.ligne, lot: fluxLot(cle, lots), cle, contenu: seal(l.text) };
      }),
    );
    if (stored) {
      try {
        await start(fluxId, lots);
      } catch (e) {
        // Not started: the file is not kept, so that sending it again runs it.
        await dropFlux(em, fluxId);
        throw e;
      }
    } else {
      const row = await fluxRow(em, fluxId);
      // Sent again while its first sending is still being received, or not started: started now.
      if (row && !row.fin) await start(fluxId, row.lots);
    }
    return c.json({ fluxId, lignes: lines.length }, 202);
  });

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/flux',
    summary: 'Send a partner file: up to 200,000 creations and events, one per NDJSON line',
    description:
      'Answered at once; the file then runs as a workflow (`flux-{fluxId}`), the lines of one dossier in file order, dossiers in parallel, each with the effect and the answer of the same single call. The same file sent again is the same file (same fluxId): nothing runs again.',
    security,
    request: {
      body: {
        content: {
          'application/x-ndjson': {
            schema: z.string().meta({
              description:
                'one line per call: {"op":"CREATE",...creation} | {"op":"EVENT","dossierId",...event} | {"op":"CEP_CREATE",...} | {"op":"CEP_EVENT","periodeId",...}',
            }),
          },
        },
      },
    },
    responses: {
      202: json(z.object({ fluxId: z.string(), lignes: z.number().int() }), 'received: it runs now'),
      ...errors(400, 413),
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/flux/{fluxId}',
      summary: "A file's progress",
      security,
      request: { params: z.object({ fluxId: FluxId }) },
      responses: { 200: json(FluxStatus, "the file's progress"), ...errors(400, 404) },
    }),
    async (c) => {
      const row = await visible(c.get('actor'), c.req.valid('param').fluxId);
      return c.json(
        {
          fluxId: row.fluxId,
          statut: row.fin ? ('TERMINE' as const) : ('EN_COURS' as const),
          lignes: row.lignes,
          traitees: row.traitees,
          acceptees: row.acceptees,
          refusees: row.refusees,
          debut: new Date(row.debut).toISOString(),
          fin: row.fin ? new Date(row.fin).toISOString() : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/flux/{fluxId}/resultats',
      summary: "The answers of a file's lines run so far, in line order",
      security,
      request: { params: z.object({ fluxId: FluxId }), query: ResultsQuery },
      responses: {
        200: json(
          z.object({ items: z.array(LineAnswer), nextCursor: z.string().nullable() }),
          'a page of answers',
        ),
        ...errors(400, 404),
      },
    }),
    async (c) => {
      const row = await visible(c.get('actor'), c.req.valid('param').fluxId);
      const { statut, cursor, limit } = c.req.valid('query');
      const items = await fluxAnswers(orm.em.fork(), row.fluxId, {
        statut,
        after: cursor ? Number(cursor) : 0,
        limit: limit + 1,
      });
      const more = items.length > limit;
      const page = more ? items.slice(0, limit) : items;
      // Lines run in parallel by dossier: while the file runs, a page holds the lines answered so
      // far (read them all once it is TERMINE).
      return c.json({ items: page, nextCursor: more ? String(page.at(-1)!.ligne) : null }, 200);
    },
  );

  return app;
}

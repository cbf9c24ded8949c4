import { createRoute, z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor, PartnerActor } from '../../domain/authorization';
import { CertificationCode, ResultatBody } from '../../domain/certification-schemas';
import { isInstant } from '../../domain/dates';
import { RESULT_STATUTS } from '../../domain/code-lists';
import { jsonFault } from '../../domain/json-fault';
import { listResults } from '../../db/certification-results';
import { ficheDetail, latestImport } from '../../db/referentiel';
import type { CertificationService, ResultAnswer } from '../certification-service';
import { ApiError } from '../errors';
import { errors, json, router, security } from '../route-kit';
import { badCursor } from './paging';

/** An NDJSON batch holds at most this many results (CONTRACT.md). */
export const MAX_RESULTS_PER_BATCH = 10_000;
/** Results of one batch in flight at once (those of one resultatId one after the other). */
const CONCURRENCY = 8;

const ResultAnswerSchema = z
  .object({
    ligne: z.number().int().optional().meta({ description: 'the line of the NDJSON batch' }),
    resultatId: z.string().nullable(),
    statut: z.enum(RESULT_STATUTS),
    dossierId: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
  })
  .meta({ id: 'CertificationResultAnswer' });

const BatchAnswer = z
  .object({
    lignes: z.number().int(),
    rapproches: z.number().int(),
    nonRapproches: z.number().int(),
    refuses: z.number().int(),
    resultats: z.array(ResultAnswerSchema),
  })
  .meta({ id: 'CertificationBatchAnswer' });

const ListQuery = z.object({
  statut: z.enum(['RAPPROCHE', 'NON_RAPPROCHE']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

const StoredResultSchema = z.object({
  resultatId: z.string(),
  statut: z.enum(['RAPPROCHE', 'NON_RAPPROCHE']),
  dossierId: z.string().nullable(),
  certification: z.string(),
  obtention: z.enum(['TOTALE', 'PARTIELLE']),
  blocs: z.array(z.string()),
  dateObtention: z.string(),
  modaliteAcces: z.string(),
  receivedAt: z.string(),
});

const cursorCodec = {
  encode: (c: { at: string; id: string }) => Buffer.from(JSON.stringify(c)).toString('base64url'),
  decode(s: string): { at: string; id: string } | null {
    try {
      const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
      if (typeof c.at === 'string' && typeof c.id === 'string' && isInstant(c.at) && c.id.length <= 128) {
        return { at: c.at, id: c.id };
      }
    } catch {
      // an unreadable cursor is the caller's error
    }
    return null;
  },
};

/** Results are sent by certifiers, with their own token: the platform has no SIRET to certify with. */
function requireCertifier(actor: Actor): PartnerActor {
  if (actor.admin) {
    throw new ApiError(
      'FORBIDDEN',
      "a result belongs to its certifier: send it with the certifier's token (kind CERTIFICATEUR)",
    );
  }
  if (actor.kind !== 'CERTIFICATEUR') {
    throw new ApiError('FORBIDDEN', `a ${actor.kind} partner sends no certification results: certifiers do`);
  }
  return actor;
}

/** The status a single result answers with: 200 when kept, its error's status when refused. */
const STATUS_OF_CODE: Record<string, 400 | 403 | 409 | 503> = {
  VALIDATION_ERROR: 400,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
};

/** CONTRACT.md, "Certification results": certifiers send results; the referential names the codes. */
export function certificationRoutes(deps: { service: CertificationService; orm: MikroORM; now: () => Date }) {
  const { service, orm, now } = deps;
  const app = router();

  /** Every line of a batch, those of one resultatId in order, the others in parallel. */
  const runBatch = async (actor: PartnerActor, lines: unknown[]): Promise<ResultAnswer[]> => {
    const answers: ResultAnswer[] = new Array(lines.length);
    const lanes = new Map<string, number[]>();
    lines.forEach((line, i) => {
      const id =
        line && typeof line === 'object' && typeof (line as { resultatId?: unknown }).resultatId === 'string'
          ? (line as { resultatId: string }).resultatId
          : `#${i}`;
      lanes.set(id, [...(lanes.get(id) ?? []), i]);
    });
    const queue = [...lanes.values()];
    const listed = new Map<string, boolean | null>();
    const receivedAt = now().toISOString();
    const worker = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const i of lane) answers[i] = await service.submit(actor, lines[i], receivedAt, listed);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return answers;
  };

  app.post('/v1/certifications/resultats', async (c) => {
    const actor = requireCertifier(c.get('actor'));
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const text = await c.req.text();
    if (type === 'application/x-ndjson' || type === 'application/ndjson') {
      const lines = text.split('\n').map((l, i) => ({ ligne: i + 1, text: l.trim() }));
      const filled = lines.filter((l) => l.text !== '');
      if (filled.length === 0) {
        throw new ApiError('VALIDATION_ERROR', 'the batch is empty: one JSON result per line', [
          { path: 'body', message: 'no line' },
        ]);
      }
      if (filled.length > MAX_RESULTS_PER_BATCH) {
        throw new ApiError(
          'PAYLOAD_TOO_LARGE',
          `a batch holds at most ${MAX_RESULTS_PER_BATCH} results (this one has ${filled.length}): send several`,
        );
      }
      const parsed = filled.map((l) => {
        try {
          return { ok: true as const, value: JSON.parse(l.text) as unknown };
        } catch (e) {
          return { ok: false as const, message: jsonFault(e, l.text) };
        }
      });
      const good = parsed.flatMap((p, i) => (p.ok ? [{ i, value: p.value }] : []));
      const done = await runBatch(
        actor,
        good.map((g) => g.value),
      );
      const answerOf = new Map(good.map((g, k) => [g.i, done[k]!]));
      const answers: (ResultAnswer & { ligne: number })[] = parsed.map((p, i) => ({
        ligne: filled[i]!.ligne,
        ...(p.ok
          ? answerOf.get(i)!
          : {
              resultatId: null,
              statut: 'REFUSE' as const,
              error: {
                code: 'VALIDATION_ERROR',
                message: `line ${filled[i]!.ligne} is not JSON: ${p.message}`,
                details: [{ path: 'body', message: 'malformed JSON' }],
              },
            }),
      }));
      const count = (s: ResultAnswer['statut']) => answers.filter((a) => a.statut === s).length;
      return c.json(
        {
          lignes: answers.length,
          rapproches: count('RAPPROCHE'),
          nonRapproches: count('NON_RAPPROCHE'),
          refuses: count('REFUSE'),
          resultats: answers,
        },
        200,
      );
    }
    if (type !== 'application/json') {
      throw new ApiError(
        'VALIDATION_ERROR',
        'send one result as application/json, or a batch as application/x-ndjson (one result per line)',
        [{ path: 'header.content-type', message: `unsupported content type ${type || '(none)'}` }],
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError('VALIDATION_ERROR', `invalid body: ${jsonFault(e, text)}`, [
        { path: 'body', message: 'malformed JSON' },
      ]);
    }
    if (Array.isArray(body)) {
      throw new ApiError(
        'VALIDATION_ERROR',
        'send one result as a JSON object, or a batch as application/x-ndjson (one result per line)',
        [{ path: 'body', message: 'expected an object' }],
      );
    }
    const answer = (await runBatch(actor, [body]))[0]!;
    if (answer.statut !== 'REFUSE') return c.json(answer, 200);
    // A single result refused answers with its error's status, in the contract's error body too.
    const status = STATUS_OF_CODE[answer.error!.code] ?? 409;
    return c.json({ ...answer, error: answer.error! }, status);
  });

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/certifications/resultats',
    summary: 'Send certification results (certifiers): one JSON object, or an NDJSON batch of up to 10,000',
    description:
      'Each result attaches to its dossier (RAPPROCHE), waits for it (NON_RAPPROCHE) or is refused (REFUSE, with its error). A single result refused answers with its error status (400, 403, 409).',
    security,
    request: {
      body: {
        content: {
          'application/json': { schema: ResultatBody },
          'application/x-ndjson': { schema: z.string().meta({ description: 'one result per line' }) },
        },
      },
    },
    responses: {
      200: {
        description: 'a single result: its answer; a batch: the answer of every line',
        content: { 'application/json': { schema: z.union([ResultAnswerSchema, BatchAnswer]) } },
      },
      ...errors(400, 403, 409, 413),
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/certifications/resultats',
      summary: "The certifier's own results (the platform: all), newest first",
      security,
      request: { query: ListQuery },
      responses: {
        200: json(
          z.object({ items: z.array(StoredResultSchema), nextCursor: z.string().nullable() }),
          'a page',
        ),
        ...errors(400, 403),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      if (!actor.admin && actor.kind !== 'CERTIFICATEUR') {
        throw new ApiError(
          'FORBIDDEN',
          `a ${actor.kind} partner has no certification results: certifiers do`,
        );
      }
      const { statut, limit, cursor } = c.req.valid('query');
      const after = cursor === undefined ? undefined : cursorCodec.decode(cursor);
      if (after === null) throw badCursor('query');
      const page = await listResults(orm.em.fork(), {
        certificateurSiret: actor.admin ? null : actor.siret,
        ...(statut ? { statut } : {}),
        limit,
        ...(after ? { after } : {}),
      });
      return c.json(
        {
          items: page.items.map((r) => ({
            resultatId: r.resultatId,
            statut: r.statut,
            dossierId: r.dossierId,
            certification: r.result.certification,
            obtention: r.result.obtention,
            blocs: r.result.blocs,
            dateObtention: r.result.dateObtention,
            modaliteAcces: r.result.modaliteAcces,
            receivedAt: r.receivedAt,
          })),
          nextCursor: page.next ? cursorCodec.encode(page.next) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/referentiel/certifications/{code}',
      summary: 'An RNCP or RS certification as the loaded referential describes it',
      security,
      request: { params: z.object({ code: CertificationCode }) },
      responses: {
        200: json(
          z.object({
            code: z.string(),
            intitule: z.string(),
            niveau: z.string().nullable(),
            actif: z.boolean(),
            nsf: z.array(z.object({ code: z.string(), intitule: z.string() })),
            blocs: z.array(z.object({ code: z.string(), libelle: z.string() })),
            certificateurs: z.array(z.object({ siret: z.string(), nom: z.string() })),
            referentiel: z.object({ source: z.string(), loadedAt: z.string() }),
          }),
          'the certification',
        ),
        ...errors(400, 404),
      },
    }),
    async (c) => {
      const { code } = c.req.valid('param');
      const em = orm.em.fork();
      const loaded = await latestImport(em);
      const fiche = loaded ? await ficheDetail(em, code) : null;
      if (!loaded || !fiche) {
        throw new ApiError(
          'NOT_FOUND',
          loaded
            ? `${code} is not in the referential loaded from ${loaded.source}`
            : 'no referential is loaded: the operator runs npx agora referentiel import PATH',
        );
      }
      return c.json({ ...fiche, referentiel: { source: loaded.source, loadedAt: loaded.loadedAt } }, 200);
    },
  );

  return app;
}

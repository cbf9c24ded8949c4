import { Readable } from 'node:stream';
import { authorizeDsnLoad } from '../../domain/authorization';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ImportFormatError, ImportTooLargeError, listMonths } from '../../db/dsn-import';
import { errors, json, router, security } from '../route-kit';
import type { DsnLoaderDeps } from '../../services/dsn-month-load';
import { loadDsnMonth } from '../../services/dsn-month-load';
import { ApiError } from '../errors';
import { REPEATED_QUERY } from '../validation';
import { MonthString } from '../../domain/schemas';

const ImportResultSchema = z
  .object({
    mois: z.string(),
    lignes: z.number().int(),
    rejets: z.array(z.object({ ligne: z.number().int(), message: z.string() })),
    rejetsTotal: z.number().int().meta({ description: 'every bad line; `rejets` lists the first 1000' }),
  })
  .meta({ id: 'DsnImportResult' });

const FORMATS: Record<string, 'csv' | 'ndjson'> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

export function dsnRoutes(deps: DsnLoaderDeps & { orm: MikroORM }) {
  const app = router();

  app.post('/v1/dsn/imports', async (c) => {
    const actor = c.get('actor');
    const denied = authorizeDsnLoad(actor);
    if (denied) throw ApiError.from(denied);
    const given = c.req.queries('mois') ?? [];
    const mois = given[0] ?? '';
    const problem = given.length > 1 ? REPEATED_QUERY : MonthString.safeParse(mois).error?.issues[0]?.message;
    if (problem) {
      throw new ApiError('VALIDATION_ERROR', `invalid query: mois: ${problem}`, [
        { path: 'query.mois', message: problem },
      ]);
    }
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const format = FORMATS[type];
    if (!format) {
      throw new ApiError('VALIDATION_ERROR', 'send the month as text/csv or application/x-ndjson', [
        { path: 'header.content-type', message: `unsupported content type ${type || '(none)'}` },
      ]);
    }
    const body = c.req.raw.body;
    if (!body) throw new ApiError('VALIDATION_ERROR', 'the request has no body');
    try {
      const result = await loadDsnMonth(deps, {
        mois,
        format,
        source: Readable.fromWeb(body as unknown as WebReadableStream),
      });
      return c.json(
        { mois: result.mois, lignes: result.lignes, rejets: result.rejets, rejetsTotal: result.rejetsTotal },
        200,
      );
    } catch (e) {
      if (e instanceof ImportFormatError) throw new ApiError('VALIDATION_ERROR', e.message, e.details);
      if (e instanceof ImportTooLargeError) throw new ApiError('PAYLOAD_TOO_LARGE', e.message);
      throw e;
    }
  });

  app.get('/v1/dsn/months', async (c) => {
    const items = await listMonths((sql) => deps.orm.em.getConnection().execute(sql));
    return c.json({ items }, 200);
  });

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/dsn/imports',
    summary: 'Load the DSN extract of one month (admin or CDC); loading a month again replaces it',
    security,
    request: {
      query: z.object({ mois: z.string().meta({ example: '2026-09' }) }),
      body: {
        content: {
          'text/csv': {
            schema: z.string().meta({
              description: 'header nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
            }),
          },
          'application/x-ndjson': {
            schema: z.string().meta({ description: 'one JSON object per line with the same fields' }),
          },
        },
      },
    },
    responses: {
      200: json(ImportResultSchema, 'the month is stored'),
      ...errors(400, 403),
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/dsn/months',
    summary: 'The loaded DSN months',
    security,
    responses: {
      200: json(
        z.object({
          items: z.array(
            z.object({ mois: z.string(), lignes: z.number(), version: z.number(), loadedAt: z.string() }),
          ),
        }),
        'months',
      ),
    },
  });
  return app;
}

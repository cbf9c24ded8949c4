import { Readable } from 'node:stream';
import { authorizeRegionExport, cepFiguresScope } from '../../domain/authorization';
import { CEP_GROUPS, cepStats } from '../../db/cep-stats';
import { createRoute, z } from '@hono/zod-openapi';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { RegionCode } from '../../domain/codes';
import { ListQuery } from '../../domain/schemas';
import { recordAccess } from '../../db/audit';
import { exportInsertion } from '../../db/insertion-export';
import {
  COUT_GROUPS,
  DOSSIER_GROUPS,
  FINANCEMENT_GROUPS,
  INSERTION_GROUPS,
  INSERTION_POINTS,
  coutStats,
  dossierStats,
  financementStats,
  insertionStats,
} from '../../db/stats';
import type { Actor } from '../../domain/authorization';
import {
  CERTIFICATION_GROUPS,
  REMUNERATION_GROUPS,
  certificationStats,
  remunerationStats,
} from '../../db/certification-stats';
import { errors, json, router, security } from '../route-kit';
import { TtlCache } from '../ttl-cache';
import { ApiError } from '../errors';

const Filters = ListQuery.pick({
  status: true,
  financeur: true,
  organisme: true,
  region: true,
  dispositif: true,
});
const exact =
  'Exact: every dossier the caller may read one by one is counted, no group withheld (statistical secrecy applies to the open data only). Groups keyed by a partner show its name (`nom`) beside the SIRET.';
/** The name of the partner a group is keyed by (financeur, organisme). */
const Nom = z
  .string()
  .nullable()
  .optional()
  .meta({ description: "groups keyed by a partner's SIRET: its name" });

const Insertion = z.object({
  dossiers: z.number().int().meta({ description: 'exited dossiers whose point is known' }),
  emploi: z.number().int().meta({ description: 'of them, in a job' }),
  emploiDurable: z.number().int().meta({ description: 'of them, in a durable job' }),
  tauxEmploi: z.number().nullable(),
  tauxEmploiDurable: z.number().nullable(),
});

/** The answers of the stats routes (the console reads them with these types). */
export const DossierStats = z.object({
  groupBy: z.enum(DOSSIER_GROUPS),
  total: z.number().int(),
  groups: z.array(z.object({ key: z.string().nullable(), nom: Nom, dossiers: z.number().int() })),
});
export type DossierStats = z.infer<typeof DossierStats>;

export const InsertionStats = z.object({
  point: z.enum(INSERTION_POINTS),
  groupBy: z.enum(INSERTION_GROUPS),
  total: Insertion,
  groups: z.array(Insertion.extend({ key: z.string().nullable(), nom: Nom })),
});
export type InsertionStats = z.infer<typeof InsertionStats>;

export const FinancementStats = z.object({
  groupBy: z.enum(FINANCEMENT_GROUPS),
  groups: z.array(
    z.object({
      key: z.string().nullable(),
      nom: Nom,
      dossiers: z.number().int(),
      montantEngage: z.number(),
      montantRealise: z.number(),
      dossiersRealises: z.number().int(),
    }),
  ),
});
export type FinancementStats = z.infer<typeof FinancementStats>;

const Couts = z.object({
  dossiers: z.number().int(),
  montantEngage: z.number(),
  montantRealise: z.number(),
  heuresPrevues: z.number().meta({ description: "sum of the actions' dureeHeures" }),
  heuresRealisees: z.number().meta({ description: "sum of the exits' heuresRealisees" }),
  coutHoraireEngage: z
    .number()
    .nullable()
    .meta({ description: 'engaged over planned hours, over the dossiers with planned hours' }),
  coutHoraireRealise: z
    .number()
    .nullable()
    .meta({ description: 'realised over realised hours, over the dossiers that have both' }),
});
export const CoutStats = z.object({
  groupBy: z.enum(COUT_GROUPS),
  total: Couts,
  groups: z.array(Couts.extend({ key: z.string().nullable(), nom: Nom })),
});
export type CoutStats = z.infer<typeof CoutStats>;

const CepFigures = z.object({
  beneficiaires: z.number().int().meta({ description: 'distinct persons' }),
  periodes: z.number().int(),
  ouvertes: z.number().int(),
  closes: z.number().int(),
  tauxAccompagnement: z.number().nullable().meta({ description: 'periods that reached level 2' }),
  dureeMedianeJours: z.number().nullable().meta({ description: 'closed periods, opening to closure' }),
  servicesParPeriode: z.number().nullable(),
  tauxEntreeFormation6m: z.number().nullable().meta({
    description:
      'of the periods closed six months ago or more, those whose M6 point shows an entry into training',
  }),
  tauxEmploi6m: z.number().nullable().meta({ description: 'over the M6 points known (a job or none)' }),
  tauxEmploi12m: z.number().nullable().meta({ description: 'over the M12 points known (a job or none)' }),
});
export const CepStats = z.object({
  groupBy: z.enum(CEP_GROUPS),
  total: CepFigures,
  groups: z.array(
    CepFigures.extend({
      key: z.string().nullable(),
      nom: z.string().nullable().optional().meta({ description: "the operator's name (groupBy=operateur)" }),
    }),
  ),
});
export type CepStats = z.infer<typeof CepStats>;

const Certification = z.object({
  sortants: z.number().int().meta({ description: 'exited dossiers aiming at a certification' }),
  obtenuesTotales: z.number().int(),
  obtenuesPartielles: z.number().int(),
  inconnues: z.number().int().meta({ description: 'no result 12 months after exit (never "failed")' }),
  enAttente: z.number().int(),
  taux: z.number().nullable().meta({ description: 'full obtentions over sortants' }),
  tauxAvecPartielles: z.number().nullable().meta({ description: 'full or partial obtentions over sortants' }),
});
export const CertificationStats = z.object({
  groupBy: z.enum(CERTIFICATION_GROUPS),
  total: Certification,
  groups: z.array(
    Certification.extend({
      key: z.string().nullable(),
      nom: Nom,
      intitule: z
        .string()
        .nullable()
        .optional()
        .meta({ description: 'groupBy=certification: its title in the loaded referential' }),
    }),
  ),
});
export type CertificationStats = z.infer<typeof CertificationStats>;

const Remuneration = z.object({
  stagiaires: z.number().int().meta({ description: 'distinct trainees paid' }),
  periodes: z.number().int().meta({ description: 'periods of pay' }),
  montantVerse: z.number().meta({ description: 'euros paid' }),
  montantMensuelMoyen: z.number().nullable().meta({ description: 'mean monthly pay of the periods' }),
});
export const RemunerationStats = z.object({
  groupBy: z.enum(REMUNERATION_GROUPS),
  total: Remuneration,
  groups: z.array(Remuneration.extend({ key: z.string().nullable() })),
});
export type RemunerationStats = z.infer<typeof RemunerationStats>;

export function statsRoutes(deps: {
  orm: MikroORM;
  databaseUrl: string;
  pseudonymise: (nirHash: Buffer) => string;
  /** How long a figure is served from memory (0: never). */
  cacheMs: number;
}) {
  const { orm } = deps;
  const cache = new TtlCache<unknown>(deps.cacheMs);
  /** The same question from the same visibility gets the same answer for `cacheMs`. */
  const cached = <T>(actor: Actor, route: string, query: object, compute: (actor: Actor) => Promise<T>) =>
    cache.get(
      JSON.stringify([route, actor.admin ? 'admin' : [actor.siret, actor.kind, actor.region ?? null], query]),
      () => compute(actor),
    ) as Promise<T>;
  const app = router();

  /** A figures route: the list's filters and its own parameters in, its answer cached per visibility. */
  const figures = <Q extends z.ZodObject, A extends z.ZodType>(route: {
    name: string;
    summary: string;
    description: string;
    query: Q;
    answer: [A, string];
    /** The statuses it may refuse with besides 400 and 401. */
    refusals?: number[];
    compute: (em: EntityManager, actor: Actor, query: z.infer<Q>) => Promise<z.infer<A>>;
  }) =>
    app.openapi(
      createRoute({
        method: 'get',
        path: `/v1/stats/${route.name}`,
        summary: route.summary,
        description: route.description,
        security,
        request: { query: route.query },
        responses: { 200: json(...route.answer), ...errors(400, 401, ...(route.refusals ?? [])) },
      }),
      async (c) => {
        // The route is generic here: its query's type is Q's, which Hono cannot infer through it.
        const query = c.req.valid('query' as never) as z.infer<Q>;
        const answer = await cached(c.get('actor'), route.name, query, (actor) =>
          route.compute(orm.em.fork(), actor, query),
        );
        return c.json(answer as never, 200);
      },
    );

  figures({
    name: 'dossiers',
    summary: 'Visible dossiers counted per group',
    description: `With the filters of \`GET /v1/dossiers\`. A dossier with several financeurs counts once in each of their groups. ${exact}`,
    query: Filters.extend({ groupBy: z.enum(DOSSIER_GROUPS).default('status') }),
    answer: [DossierStats, 'counts'],
    compute: dossierStats,
  });
  figures({
    name: 'insertion',
    summary: 'Employment 3, 6 or 12 months after exit, per group',
    description: `Counts only exited dossiers whose point is known (a job or no job); a durable job is a CDI, or a CDD or an interim contract of 6 months or more. Rates are fractions (0.625). With the filters of \`GET /v1/dossiers\`. ${exact}`,
    query: Filters.extend({
      point: z.enum(INSERTION_POINTS).default('M6'),
      groupBy: z.enum(INSERTION_GROUPS).default('region'),
    }),
    answer: [InsertionStats, 'insertion'],
    compute: insertionStats,
  });
  figures({
    name: 'financements',
    summary: 'Engaged and realised amounts per financeur, dispositif or region',
    description:
      'Over the visible dossiers, with the filters of `GET /v1/dossiers`: `dossiers` counts the dossiers, `dossiersRealises` those with a realised amount.',
    query: Filters.extend({ groupBy: z.enum(FINANCEMENT_GROUPS).default('financeur') }),
    answer: [FinancementStats, 'amounts'],
    compute: financementStats,
  });

  figures({
    name: 'couts',
    summary: 'What a training costs: amounts engaged and realised, hours, hourly costs, per group',
    description: `Over the visible dossiers (a remunerator: not those it only pays), with the filters of \`GET /v1/dossiers\`. Per financeur, its own financing lines over the dossiers' hours; the total counts each dossier once. ${exact}`,
    query: Filters.extend({ groupBy: z.enum(COUT_GROUPS).default('dispositif') }),
    answer: [CoutStats, 'costs'],
    compute: coutStats,
  });
  figures({
    name: 'certification',
    summary: 'Certification of the exited dossiers that aim at one, per group',
    description:
      "Exact figures over the visible dossiers, with the filters of `GET /v1/dossiers`: `sortants` are the exited dossiers aiming at a certification (the action's, or the one a result reported), of which `obtenuesTotales` and `obtenuesPartielles` obtained it; `inconnues` have no result 12 months after exit. Rates are fractions (0.625).",
    query: Filters.extend({ groupBy: z.enum(CERTIFICATION_GROUPS).default('dispositif') }),
    answer: [CertificationStats, 'certification'],
    compute: certificationStats,
  });
  figures({
    name: 'remunerations',
    summary: 'Trainees paid during training, amounts paid and mean monthly pay, per group',
    description:
      'Exact figures over the visible dossiers (a remunerator: those it pays), with the filters of `GET /v1/dossiers`. A trainee paid under two regimes counts in each, once in the total.',
    query: Filters.extend({ groupBy: z.enum(REMUNERATION_GROUPS).default('regime') }),
    answer: [RemunerationStats, 'remuneration'],
    compute: remunerationStats,
  });

  figures({
    name: 'cep',
    summary: 'CEP figures per operator, network, region, situation or objective',
    description:
      "Operators read their own periods' figures, a Region its region's, the State and the platform every period's; other partners 403. Rates are fractions (0.625).",
    query: z.object({
      groupBy: z.enum(CEP_GROUPS).default('region'),
      region: RegionCode.optional(),
    }),
    answer: [CepStats, 'CEP figures'],
    refusals: [403],
    compute: async (em, actor, query) => {
      const scope = cepFiguresScope(actor);
      if ('code' in scope) throw ApiError.from(scope);
      return cepStats(em, scope, query);
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/exports/insertion.csv',
      summary: "A region's insertion file, streamed (REGION partners: their own region only)",
      description:
        'One line per visible dossier of the region, in dossier-id order, header first; `stagiaire_pseudo` is a keyed hash, never the NIR. Every export is recorded in the access audit.',
      security,
      request: { query: z.object({ region: RegionCode }) },
      responses: {
        200: { description: 'the file', content: { 'text/csv': { schema: z.string() } } },
        ...errors(400, 401, 403),
      },
    }),
    async (c) => {
      const { region } = c.req.valid('query');
      const actor = c.get('actor');
      const denied = authorizeRegionExport(actor, region);
      if (denied) throw ApiError.from(denied);
      // Audited before the first byte leaves, so even an interrupted download is traced.
      await recordAccess(orm.em.fork(), actor, 'EXPORT', null, { file: 'insertion', region });
      const file = await exportInsertion({
        databaseUrl: deps.databaseUrl,
        region,
        actor,
        pseudo: deps.pseudonymise,
      });
      return new Response(Readable.toWeb(file.stream) as ReadableStream, {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="insertion-${region}.csv"`,
        },
      });
    },
  );

  return app;
}

import { createRoute, z } from '@hono/zod-openapi';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import {
  authorizeCreate,
  authorizeDossierId,
  authorizeNirSearch,
  canReadFullNir,
  canSee,
  PAYING_KINDS,
  seesAsRemunerateurOnly,
  sourceOf,
} from '../../domain/authorization';
import { partiesOf } from '../../domain/dossier-state';
import type { DossierState } from '../../domain/dossier-state';
import { toView } from '../../domain/dossier-view';
import { checkNotFuture } from '../../domain/lifecycle';
import {
  CreateDossierBody,
  DossierEvent,
  DossierId,
  DossierView,
  HistoryEntry,
  ListQuery,
  SearchBody,
} from '../../domain/schemas';
import type { RecordEvent } from '../../domain/schemas';
import type { Actor } from '../../domain/authorization';
import { decodeCursor, listDossiers } from '../../db/dossier-read-model';
import { recordAccess } from '../../db/audit';
import { fichesOf } from '../../db/referentiel';
import { prefixOwner, unknownFinanceurs, unknownPartners } from '../../db/partners';
import { errors, json, router, security } from '../route-kit';
import type { CepGateway } from '../cep-gateway';
import type { CertificationService } from '../certification-service';
import type { DossierGateway } from '../dossier-gateway';
import { notFound } from '../dossier-gateway';
import { ApiError } from '../errors';
import { HistoryQuery, badCursor, historyCursor, historyStart, limitEventSize } from './paging';

const PathParams = z.object({ dossierId: DossierId });
/** A situation read from the DSN: a person's employment, or its absence. */
const fromDsn = (s: { statut: string }) => s.statut === 'EMPLOI' || s.statut === 'SANS_EMPLOI';

export { EVENT_MAX_BYTES } from './paging';
const HistoryPage = z.object({
  events: z.array(HistoryEntry),
  nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
});

/**
 * What the call of an event does after its Update, once accepted: an entry into training wakes the
 * person's CEP follow-ups (CONTRACT.md, "CEP periods"); an entry, an exit moved or a certification
 * aimed at attaches the certification results waiting for this trainee.
 */
export function effectsAfter(event: RecordEvent): { wake: boolean; attach: boolean } {
  const entered =
    event.type === 'ENTREE' || (event.type === 'RECTIFICATION' && event.changes.dates?.entree !== undefined);
  const attach =
    entered ||
    (event.type === 'RECTIFICATION' &&
      (event.changes.dates?.sortie !== undefined || event.changes.action?.certification !== undefined));
  return { wake: entered, attach };
}

/**
 * The dossier as this actor may see it: 404 when hidden, full NIR for financeurs only. `sent`: the
 * answer to the actor's own event, applied: the dossier as the event left it, even where that
 * event took the actor off it (a co-financeur removing its own line).
 */
export function viewFor(
  actor: Actor,
  state: DossierState,
  opts: { privileged?: boolean; sent?: boolean } = {},
) {
  const parties = partiesOf(state);
  if (!opts.sent && !canSee(actor, parties)) throw notFound(state.dossierId);
  return toView(state, {
    fullNir: (opts.privileged ?? true) && canReadFullNir(actor, parties),
    payOnly: seesAsRemunerateurOnly(actor, parties),
  });
}

/**
 * What a creation or an event answers: the masked NIR and no employer's details, whoever sends
 * it (CONTRACT.md); the full view is a read of its own, audited (GET /v1/dossiers/{id}).
 */
/**
 * The certification's title and level added from the loaded referential (as every answer shows
 * it). Best effort: PostgreSQL away, an accepted event is still answered, without the title.
 */
async function titled<V extends ReturnType<typeof viewFor>>(em: EntityManager, view: V): Promise<V> {
  if (!view.certification) return view;
  const code = view.certification.code;
  const fiche = await fichesOf(em, [code]).then(
    (f) => f.get(code),
    () => undefined,
  );
  if (!fiche) return view;
  const { code: _code, ...rest } = view.certification;
  return {
    ...view,
    certification: {
      code,
      intitule: fiche.intitule,
      ...(fiche.niveau ? { niveau: fiche.niveau } : {}),
      ...rest,
    },
  };
}

export function dossierRoutes(deps: {
  gateway: DossierGateway;
  /** To check the CEP prescription a dossier names. */
  cep: Pick<CepGateway, 'find' | 'wakeFollowUps'>;
  /** The certification results waiting for a dossier of the trainee (CONTRACT.md). */
  certifications: Pick<CertificationService, 'attachWaiting'>;
  orm: MikroORM;
  now: () => Date;
  hashNir: (nir: string) => Buffer;
}) {
  const { gateway, orm, now, hashNir } = deps;
  const app = router();

  /**
   * 409 NO_MATCH unless the prescription a creation names was made, in that period, for the same
   * person; else the period's operator, which the dossier keeps with the prescription's ids.
   */
  const requirePrescription = async (body: CreateDossierBody): Promise<string | undefined> => {
    if (!body.prescription) return undefined;
    const { periodeId, prescriptionId } = body.prescription;
    const period = await deps.cep.find(periodeId);
    const made = period?.prescriptions.some((p) => p.prescriptionId === prescriptionId);
    if (!period || !made || period.beneficiaire.nir !== body.stagiaire.nir) {
      throw new ApiError(
        'NO_MATCH',
        `prescription ${prescriptionId} of CEP period ${periodeId} is not a prescription made for this trainee: check the period's id, the prescription's id and the NIR`,
        { periodeId, prescriptionId },
      );
    }
    return period.operateurSiret;
  };

  /** 409 UNKNOWN_FINANCEUR unless every financeurSiret is a registered partner of a funding kind. */
  const requireFinanceurs = async (lines: readonly { financeurSiret: string }[]) => {
    const unknown = await unknownFinanceurs(
      orm.em.fork(),
      lines.map((f) => f.financeurSiret),
    );
    if (unknown.length > 0) {
      throw new ApiError(
        'UNKNOWN_FINANCEUR',
        `${unknown.join(', ')} ${unknown.length > 1 ? 'are not registered partners' : 'is not a registered partner'} of a funding kind: a financeur must be registered on the platform first`,
        { financeurSirets: unknown },
      );
    }
  };

  /** 409 UNKNOWN_REMUNERATEUR unless the remunerator named is a partner that pays trainees. */
  const requireRemunerateur = async (siret: string | undefined) => {
    if (siret === undefined) return;
    const unknown = await unknownPartners(orm.em.fork(), [siret], PAYING_KINDS);
    if (unknown.length > 0) {
      throw new ApiError(
        'UNKNOWN_REMUNERATEUR',
        `${siret} is not a registered partner of kind ${PAYING_KINDS.join(' or ')}: the body that pays the trainee must be registered on the platform first`,
        { remunerateurSiret: siret },
      );
    }
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dossiers',
      summary: 'Create a dossier (financeurs)',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: CreateDossierBody } } } },
      responses: {
        201: json(DossierView, 'created'),
        200: json(DossierView, 'the same creation again: unchanged'),
        ...errors(400, 401, 403, 409, 413, 503),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const body = c.req.valid('json');
      const denied = authorizeCreate(actor, body);
      if (denied) throw ApiError.from(denied);
      const at = now();
      const future = checkNotFuture(body.date, { now: at.toISOString() });
      if (future) throw ApiError.from(future);
      await requireFinanceurs(body.financements);
      await requireRemunerateur(body.remunerateurSiret);
      const taken = authorizeDossierId(
        actor,
        body.dossierId,
        await prefixOwner(orm.em.fork(), body.dossierId),
      );
      if (taken) throw ApiError.from(taken);
      const prescriptionOperateur = await requirePrescription(body);
      const { created, state } = await gateway.create(body, actor, at.toISOString(), prescriptionOperateur);
      if (created) await deps.certifications.attachWaiting(hashNir(body.stagiaire.nir), at.toISOString());
      return c.json(
        await titled(orm.em.fork(), viewFor(actor, state, { privileged: false })),
        created ? 201 : 200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dossiers/{dossierId}/events',
      summary: 'Send one event of the lifecycle',
      security,
      request: {
        params: PathParams,
        body: { required: true, content: { 'application/json': { schema: DossierEvent } } },
      },
      responses: {
        200: json(DossierView, 'the dossier after the event'),
        ...errors(400, 401, 403, 404, 409, 413, 503),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { dossierId } = c.req.valid('param');
      const event = c.req.valid('json');
      limitEventSize(event, ': send it as several corrections');
      const lines =
        event.type === 'VALIDATION'
          ? event.financements
          : event.type === 'RECTIFICATION'
            ? event.changes.financements
            : undefined;
      if (lines) await requireFinanceurs(lines);
      if (event.type === 'RECTIFICATION') await requireRemunerateur(event.changes.remunerateurSiret);
      const result = await gateway.send(dossierId, event, actor, now().toISOString());
      const after = effectsAfter(event);
      if (after.wake && result.outcome === 'applied')
        await deps.cep.wakeFollowUps(hashNir(result.state.stagiaire.nir));
      if (after.attach && result.outcome === 'applied')
        await deps.certifications.attachWaiting(hashNir(result.state.stagiaire.nir), now().toISOString());
      // Applied for this very actor (a resent Update id gets the first sender's answer: a stranger
      // reusing another's eventId must not read the dossier through it).
      const sent = result.outcome === 'applied' && result.entries.some((e) => e.source === sourceOf(actor));
      return c.json(
        await titled(orm.em.fork(), viewFor(actor, result.state, { privileged: false, sent })),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers/{dossierId}',
      summary: 'Read a dossier (always up to date with accepted events)',
      security,
      request: { params: PathParams },
      responses: { 200: json(DossierView, 'the dossier'), ...errors(400, 401, 404, 503) },
    }),
    async (c) => {
      const { dossierId } = c.req.valid('param');
      const actor = c.get('actor');
      const em = orm.em.fork();
      const view = await titled(em, viewFor(actor, await gateway.state(dossierId)));
      // Every read of a full NIR, and of a person's employment from the DSN, is traced (who,
      // which dossier, when): the anomaly report reads them (db/anomalies.ts).
      if (view.stagiaire.nir !== undefined) await recordAccess(em, actor, 'DOSSIER_READ', dossierId);
      if (view.situations.some(fromDsn)) await recordAccess(em, actor, 'DSN_READ', dossierId);
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers/{dossierId}/history',
      summary: 'Every accepted event of a dossier, oldest first, by pages',
      security,
      request: { params: PathParams, query: HistoryQuery },
      responses: {
        200: json(HistoryPage, 'a page of the history'),
        ...errors(400, 401, 404, 503),
      },
    }),
    async (c) => {
      const { dossierId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const page = await gateway.history(dossierId, { afterSeq: historyStart(cursor), limit });
      if (!canSee(c.get('actor'), page.parties)) throw notFound(dossierId);
      const nextCursor = page.nextSeq === null ? null : historyCursor.encode(page.nextSeq);
      return c.json({ events: page.events, nextCursor }, 200);
    },
  );

  /** A page of the visible dossiers; with a NIR, those of that trainee the caller funds (audited). */
  const listPage = async (
    actor: Actor,
    query: Omit<ListQuery, 'nir'>,
    nir?: string,
    byName?: { nom: string; dateNaissance?: string | undefined },
  ) => {
    const scope = nir === undefined ? {} : authorizeNirSearch(actor);
    if ('code' in scope) throw ApiError.from(scope);
    const { cursor, ...q } = query;
    const decoded = cursor === undefined ? undefined : decodeCursor(cursor);
    if (decoded === null || (decoded && (decoded.s ?? 'recent') !== (q.sort ?? 'recent')))
      throw badCursor(nir === undefined && !byName ? 'query' : 'body');
    const em = orm.em.fork();
    const page = await listDossiers(em, actor, {
      ...q,
      ...(nir !== undefined ? { nirHash: hashNir(nir) } : {}),
      ...(byName ? { nom: byName.nom } : {}),
      ...(byName?.dateNaissance ? { dateNaissance: byName.dateNaissance } : {}),
      ...scope,
      ...(decoded ? { cursor: decoded } : {}),
    });
    if (nir !== undefined) await recordAccess(em, actor, 'NIR_SEARCH', null, { results: page.items.length });
    if (byName) await recordAccess(em, actor, 'NAME_SEARCH', null, { results: page.items.length });
    const withDsn = page.items.filter((d) => d.situations.some(fromDsn)).length;
    if (withDsn > 0) await recordAccess(em, actor, 'DSN_LIST', null, { dossiers: withDsn });
    return page;
  };
  const Page = z.object({
    items: z.array(DossierView),
    nextCursor: z.string().nullable(),
    total: z
      .number()
      .int()
      .optional()
      .meta({ description: 'with withTotal=true: the whole list, up to 10,000' }),
    totalExact: z.boolean().optional().meta({ description: 'false: more than `total`' }),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/dossiers',
      summary: 'List the visible dossiers, newest first (read model: may lag a few seconds)',
      description: 'A NIR never travels in a URL: search by NIR with `POST /v1/dossiers/search`.',
      security,
      request: { query: ListQuery },
      responses: { 200: json(Page, 'a page'), ...errors(400, 401, 503) },
    }),
    async (c) => {
      if (c.req.query('nir') !== undefined) {
        throw new ApiError(
          'VALIDATION_ERROR',
          'a NIR is never sent in a URL (it would stay in browser histories and proxy logs): search with POST /v1/dossiers/search and {"nir": ...} in the body',
          [{ path: 'query.nir', message: 'use POST /v1/dossiers/search' }],
        );
      }
      return c.json(await listPage(c.get('actor'), c.req.valid('query')), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/dossiers/search',
      summary:
        "A trainee's dossiers by NIR, among those the caller funds (financeurs), or by last name among the visible ones (audited)",
      security,
      request: { body: { required: true, content: { 'application/json': { schema: SearchBody } } } },
      responses: { 200: json(Page, 'a page'), ...errors(400, 401, 403, 413, 503) },
    }),
    async (c) => {
      const actor = c.get('actor');
      const { nir, nom, dateNaissance, ...query } = c.req.valid('json');
      return c.json(await listPage(actor, query, nir, nom ? { nom, dateNaissance } : undefined), 200);
    },
  );

  return app;
}

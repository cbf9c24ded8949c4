import { Hono } from 'hono';
import { csvCell } from '../csv-cell';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { isValidNir } from '../../domain/nir';
import { cepAccess, mayUseNirSearch } from '../../domain/authorization';
import { DossierId, type DossierViewT } from '../../domain/schemas';
import { Layout, type Section } from './layout';
import { REGION_LABEL, frError, stateLabel } from './labels';
import type {
  CepStats,
  CertificationStats,
  CoutStats,
  DossierStats,
  InsertionStats,
  RemunerationStats,
} from '../routes/stats';
import { PeriodeId, type CepView } from '../../domain/cep-schemas';
import { CepDashboardPage } from './pages/cep-dashboard';
import { type CepFilters, CepListPage } from './pages/cep-list';
import { CepPeriodPage } from './pages/cep-period';
import { AnomaliesPage, type AnomalyRow } from './pages/anomalies';
import { DashboardPage } from './pages/dashboard';
import { RemunerationsPage } from './pages/remunerations';
import { DossierPage } from './pages/dossier';
import { type ListFilters, ListPage } from './pages/dossier-list';
import { type ConsoleUser, type consoleSignIn } from './sign-in';
import { MessagePage } from './pages/message';
import { AccessibilityPage, LegalPage } from './pages/public';

const isDossierId = (s: string) => DossierId.safeParse(s).success;

type Env = { Variables: { user: ConsoleUser } };
/** The API in process; `env` carries the browser's connection (its address counts failed sign-ins). */
type ApiCall = (path: string, init: RequestInit, env: unknown) => Response | Promise<Response>;

/**
 * The case workers' console, server-rendered in French. It is a client of the API itself, called
 * in process as the signed-in agent's partner (or the admin), the agent named: every page shows
 * exactly what the API shows that partner, audited the same way, with the agent's email.
 */
export function consoleRoutes(callApi: ApiCall, signIn: ReturnType<typeof consoleSignIn>) {
  const app = new Hono<Env>();
  // Personal data on every page: never kept by a browser or a proxy (CONTRACT.md, "Console").
  const noStore = async (c: Context<Env>, next: () => Promise<void>) => {
    await next();
    c.res.headers.set('cache-control', 'no-store');
  };
  app.use('/console', noStore);
  app.use('/console/*', noStore);

  async function api<T>(c: Context<Env>, path: string, json?: unknown): Promise<{ status: number; body: T }> {
    const res = await callApi(
      path,
      {
        ...(json === undefined ? {} : { method: 'POST', body: JSON.stringify(json) }),
        headers: {
          'x-request-id': c.req.header('x-request-id') ?? '',
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      { ...(c.env ?? {}), consoleActor: c.get('user').actor },
    );
    return { status: res.status, body: (await res.json()) as T };
  }

  const page = (c: Context<Env>, title: string, section: Section, body: Child, status = 200) =>
    c.html(
      <Layout
        title={title}
        section={section}
        user={c.get('user')}
        admin={c.get('user').actor.admin}
        cep={cepAccess(c.get('user').actor)}
      >
        {body}
      </Layout>,
      status as 200,
    );

  // Public pages: the accessibility statement and the legal notice.
  const publicPage = (c: Context, title: string, body: Child) =>
    c.html(
      <Layout title={title} section={null}>
        {body}
      </Layout>,
    );
  app.get('/console/accessibilite', (c) =>
    publicPage(c, "Déclaration d'accessibilité", <AccessibilityPage />),
  );
  app.get('/console/mentions-legales', (c) => publicPage(c, 'Mentions légales', <LegalPage />));

  // Sign-in, sessions and sign-out (./sign-in.tsx); every other page needs a signed-in user.
  app.route('/', signIn.routes);
  app.use('/console/*', signIn.signedIn);
  app.use('/console', signIn.signedIn);

  app.get('/console', async (c) => {
    const groups = ['status', 'issue', 'dispositif', 'region', 'financeur', 'objectif', 'nsf', 'qpv'];
    const [dossierStats, insertion, byDispositif, certification, couts, months] = await Promise.all([
      Promise.all(groups.map((g) => api<DossierStats>(c, `/v1/stats/dossiers?groupBy=${g}`))),
      Promise.all(
        ['M3', 'M6', 'M12'].map((p) =>
          api<InsertionStats>(c, `/v1/stats/insertion?point=${p}&groupBy=region`),
        ),
      ),
      api<InsertionStats>(c, '/v1/stats/insertion?point=M6&groupBy=dispositif'),
      api<CertificationStats>(c, '/v1/stats/certification?groupBy=dispositif'),
      api<CoutStats>(c, '/v1/stats/couts?groupBy=dispositif'),
      api<{ items: { mois: string; loadedAt: string }[] }>(c, '/v1/dsn/months'),
    ]);
    const loads = months.body.items ?? [];
    const lastLoad = loads.reduce<{ mois: string; loadedAt: string } | null>(
      (a, m) => (a === null || m.loadedAt > a.loadedAt ? m : a),
      null,
    );
    const stats = Object.fromEntries(groups.map((g, i) => [g, dossierStats[i]!.body]));
    return page(
      c,
      'Tableau de bord',
      'tableau',
      <DashboardPage
        stats={stats}
        insertion={insertion.map((r) => r.body)}
        insertionByDispositif={byDispositif.body}
        certification={certification.body}
        couts={couts.body}
        lastLoad={lastLoad}
      />,
    );
  });

  /**
   * A panel's figures as CSV (the dashboard's "Télécharger" links): the same stats route, with the
   * signed-in partner's token, one line per group. Only the stats routes.
   */
  app.get('/console/export.csv', async (c) => {
    const path = c.req.query('stat') ?? '';
    if (!/^\/v1\/stats\/[a-z]+(\?[A-Za-z0-9=&_-]*)?$/.test(path)) {
      return c.text('Tableau inconnu : ce lien ne correspond à aucun tableau de la console.', 400);
    }
    const res = await api<{ groups?: Record<string, unknown>[]; error?: { message: string } }>(c, path);
    if (res.status !== 200 || !res.body.groups)
      return c.text(`Téléchargement impossible : ${frError(res.body.error)}`, 400);
    const flat = (g: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(g).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? [] : [[k, v]])),
      );
    const rows = res.body.groups.map(flat);
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const csv = [columns.join(','), ...rows.map((r) => columns.map((k) => csvCell(r[k])).join(','))].join(
      '\n',
    );
    const name = path.replace(/^\/v1\/stats\//, '').replace(/[^A-Za-z0-9]+/g, '-');
    c.header('content-disposition', `attachment; filename="agora-${name}.csv"`);
    c.header('content-type', 'text/csv; charset=utf-8');
    return c.body(`${csv}\n`);
  });

  app.get('/console/remunerations', async (c) => {
    const answers = await Promise.all(
      ['regime', 'dispositif', 'region'].map((g) =>
        api<RemunerationStats>(c, `/v1/stats/remunerations?groupBy=${g}`),
      ),
    );
    return page(
      c,
      'Rémunérations',
      'remunerations',
      <RemunerationsPage stats={answers.map((a) => a.body)} />,
    );
  });

  type ListAnswer = {
    items?: DossierViewT[];
    nextCursor?: string | null;
    error?: { message: string; details?: { path?: string }[] };
    total?: number;
    totalExact?: boolean;
  };
  const filtersOf = (q: Record<string, unknown>): ListFilters => {
    const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() || undefined : undefined);
    return {
      q: text('q'),
      status: text('status'),
      issue: text('issue'),
      dispositif: text('dispositif'),
      region: text('region'),
      organisme: text('organisme'),
      financeur: text('financeur'),
      createdFrom: text('createdFrom'),
      createdTo: text('createdTo'),
      entreeFrom: text('entreeFrom'),
      entreeTo: text('entreeTo'),
      sortieFrom: text('sortieFrom'),
      sortieTo: text('sortieTo'),
      interrompu: text('interrompu') === 'true' ? 'true' : undefined,
      limit: ['20', '50', '100', '200'].includes(text('limit') ?? '') ? text('limit') : undefined,
      sort: ['ancien', 'numero'].includes(text('sort') ?? '') ? text('sort') : undefined,
    };
  };
  /**
   * A list's links to its other pages: the next one (a NIR search posts its cursor again, the NIR
   * in the form, never in a link) and back to the first.
   */
  const pagesOf = (
    path: string,
    keep: URLSearchParams,
    cursor: string | undefined,
    next: string | null,
    nir: unknown,
  ) => ({
    next: next
      ? nir
        ? { cursor: next }
        : { url: `${path}?${new URLSearchParams([...keep, ['cursor', next]])}` }
      : null,
    firstUrl: cursor && !nir ? `${path}?${keep}` : null,
  });
  /** The page for what the caller may not see, and the one for a dependency down. */
  const notFoundPage = (c: Context<Env>, section: Section, title: string, message: string) =>
    page(c, title, section, <MessagePage title={title} message={message} />, 404);
  const unavailable = (c: Context<Env>, section: Section) =>
    page(
      c,
      'Indisponible',
      section,
      <MessagePage title="Service momentanément indisponible" message="Réessayez dans quelques instants." />,
      503,
    );
  const asNir = (q: string | undefined) => {
    const search = q?.replace(/\s+/g, '').toUpperCase();
    return search && /^[0-9AB]{15}$/.test(search) && isValidNir(search) ? search : null;
  };
  /** A name (letters, spaces, hyphens, apostrophes: no digit), searched on the trainee's last name. */
  const asName = (q: string | undefined) => {
    const t = q?.trim();
    return t && !/\d/.test(t) && /^[\p{L}\s'’-]+$/u.test(t) && (t.match(/\p{L}/gu) ?? []).length >= 2
      ? t
      : null;
  };
  /**
   * The list page: a GET with filters (and the start of a dossier number), or the answer to a
   * search by NIR or by name, which the form posts (personal data never travel in a URL).
   */
  const listPage = async (c: Context<Env>, filters: ListFilters, cursor: string | undefined) => {
    const me = c.get('user').actor;
    const canSearchNir = mayUseNirSearch(me);
    const nir = asNir(filters.q);
    const name = nir ? null : asName(filters.q);
    const personal = nir ?? name;
    const search = filters.q?.replace(/\s+/g, '');
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v && k !== 'q') params.set(k, v);
    let error: string | undefined;
    let res: { status: number; body: ListAnswer } | null = null;
    if (search && !personal && !isDossierId(search)) {
      error = canSearchNir
        ? 'Saisissez un numéro de dossier (ou son début), un nom de famille, ou un NIR complet (15 caractères, clé comprise).'
        : 'Saisissez un numéro de dossier (ou son début) ou un nom de famille.';
    } else if (personal && c.req.method !== 'POST') {
      // A NIR or a name never travels in a URL (browser histories, proxy logs): the form posts it.
      error = 'La recherche par NIR ou par nom passe par le formulaire de recherche.';
    } else if (personal) {
      const body: Record<string, unknown> = {
        ...(nir ? { nir } : { nom: name }),
        limit: 50,
        withTotal: 'true',
        ...Object.fromEntries(params),
      };
      if (typeof body.limit === 'string') body.limit = Number(body.limit);
      if (cursor) body.cursor = cursor;
      res = await api<ListAnswer>(c, '/v1/dossiers/search', body);
    } else {
      if (search) params.set('idPrefix', search);
      if (cursor) params.set('cursor', cursor);
      if (!params.has('limit')) params.set('limit', '50');
      params.set('withTotal', 'true');
      res = await api<ListAnswer>(c, `/v1/dossiers?${params}`);
    }
    // The dispositifs the partner's dossiers have: the filter offers those (the stats' cache serves it).
    const byDispositif = await api<DossierStats>(c, '/v1/stats/dossiers?groupBy=dispositif');
    const dispositifs = (byDispositif.body.groups ?? [])
      .map((g) => g.key)
      .filter((k): k is string => typeof k === 'string')
      .sort((a, b) => a.localeCompare(b, 'fr'));
    let items: DossierViewT[] = [];
    let next: string | null = null;
    let total: { n: number; exact: boolean } | null = null;
    if (res?.status === 200) {
      items = res.body.items ?? [];
      next = res.body.nextCursor ?? null;
      if (res.body.total !== undefined) total = { n: res.body.total, exact: res.body.totalExact !== false };
    } else if (res) {
      error =
        res.status === 403
          ? 'La recherche par NIR est réservée aux financeurs.'
          : `Recherche impossible : ${frError(res.body.error)}`;
    }
    const keep = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v && !(k === 'q' && personal)) keep.set(k, v);
    return page(
      c,
      'Dossiers',
      'dossiers',
      <ListPage
        filters={filters}
        items={items}
        {...pagesOf('/console/dossiers', keep, cursor, next, personal)}
        error={error}
        canSearchNir={canSearchNir}
        me={me.admin ? null : { siret: me.siret, kind: me.kind, region: me.region ?? null }}
        total={total}
        dispositifs={dispositifs}
        csvUrl={
          personal
            ? null
            : `/console/dossiers.csv?${new URLSearchParams([...keep].filter(([k]) => k !== 'limit'))}`
        }
      />,
      error ? 400 : 200,
    );
  };

  app.get('/console/dossiers', async (c) => {
    const filters = filtersOf(c.req.query());
    const search = filters.q?.replace(/\s+/g, '');
    // A dossier number typed whole: straight to its page when it is one the partner sees.
    if (search && !asNir(search) && !asName(filters.q) && isDossierId(search) && !c.req.query('cursor')) {
      const found = await api<ListAnswer>(
        c,
        `/v1/dossiers?${new URLSearchParams({ idPrefix: search, limit: '2' })}`,
      );
      const only = found.body.items?.length === 1 ? found.body.items[0] : undefined;
      if (only?.dossierId === search)
        return c.redirect(`/console/dossiers/${encodeURIComponent(search)}`, 303);
    }
    return listPage(c, filters, c.req.query('cursor'));
  });

  /**
   * The list as CSV, with the page's filters (never a search by NIR or name): read through the
   * API 500 at a time, 10,000 lines at most, labels in French, formulas neutralised.
   */
  app.get('/console/dossiers.csv', async (c) => {
    const filters = filtersOf(c.req.query());
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v && k !== 'q' && k !== 'limit') params.set(k, v);
    const search = filters.q?.replace(/\s+/g, '');
    if (search && isDossierId(search) && !asNir(search) && !asName(filters.q)) params.set('idPrefix', search);
    params.set('limit', '500');
    const lines = [
      [
        'dossier',
        'prenom',
        'nom',
        'etat',
        'interrompu',
        'dispositif',
        'intitule',
        'organisme',
        'region',
        'entree',
        'sortie',
      ].join(','),
    ];
    let cursor: string | null = null;
    do {
      const at: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: { status: number; body: ListAnswer } = await api<ListAnswer>(
        c,
        `/v1/dossiers?${params}${at}`,
      );
      if (page.status !== 200) return c.text(`Recherche impossible : ${frError(page.body.error)}`, 400);
      for (const d of page.body.items ?? []) {
        lines.push(
          [
            d.dossierId,
            d.stagiaire.prenom,
            d.stagiaire.nom,
            stateLabel(d.status, d.issue),
            d.interrompu ? 'oui' : 'non',
            d.action.dispositif,
            d.action.intitule,
            d.organisme.raisonSociale,
            REGION_LABEL[d.action.region] ?? d.action.region,
            d.dates.entree ?? '',
            d.dates.sortie ?? '',
          ]
            .map(csvCell)
            .join(','),
        );
      }
      cursor = page.body.nextCursor ?? null;
    } while (cursor && lines.length <= 10_000);
    c.header('content-disposition', 'attachment; filename="agora-dossiers.csv"');
    c.header('content-type', 'text/csv; charset=utf-8');
    return c.body(`${lines.join('\n')}\n`);
  });

  app.post('/console/dossiers', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const filters = filtersOf(form);
    if (asNir(filters.q) || asName(filters.q)) {
      return listPage(c, filters, typeof form.cursor === 'string' ? form.cursor : undefined);
    }
    // Anything but a NIR or a name: the usual GET, which a bookmark can keep.
    const keep = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) keep.set(k, v);
    return c.redirect(`/console/dossiers?${keep}`, 303);
  });

  app.get('/console/anomalies', async (c) => {
    if (!c.get('user').actor.admin) {
      return page(
        c,
        'Anomalies',
        null,
        <MessagePage
          title="Page réservée"
          message="Cette page est réservée à l'administration de la plateforme."
        />,
        403,
      );
    }
    const res = await api<{ items: AnomalyRow[] }>(c, '/v1/admin/anomalies');
    return page(c, 'Anomalies', 'anomalies', <AnomaliesPage items={res.body.items ?? []} />);
  });

  // ---- CEP periods (their operators) and figures (operators, Regions, the State) ----------------

  const cepOnly = (c: Context<Env>, what: 'periods' | 'figures') =>
    cepAccess(c.get('user').actor)[what]
      ? null
      : page(
          c,
          'Page réservée',
          null,
          <MessagePage
            title="Page réservée"
            message={
              what === 'periods'
                ? 'Les périodes CEP sont réservées à leurs opérateurs.'
                : 'Les indicateurs CEP sont réservés aux opérateurs, aux Régions et à l’État.'
            }
          />,
          403,
        );

  app.get('/console/cep/tableau', async (c) => {
    const refused = cepOnly(c, 'figures');
    if (refused) return refused;
    const me = c.get('user').actor;
    // An operator reads its own periods' figures: by operator says nothing more than the total.
    const groups = [
      'reseau',
      'region',
      'situation',
      'objectif',
      ...(me.admin || me.kind === 'ETAT' || me.kind === 'REGION' ? ['operateur'] : []),
    ];
    const answers = await Promise.all(groups.map((g) => api<CepStats>(c, `/v1/stats/cep?groupBy=${g}`)));
    return page(
      c,
      'Tableau de bord CEP',
      'cep-tableau',
      <CepDashboardPage stats={answers.map((a) => a.body)} />,
    );
  });

  type CepListAnswer = { items?: CepView[]; nextCursor?: string | null; error?: { message: string } };
  const cepFilters = (q: Record<string, unknown>): CepFilters => {
    const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() || undefined : undefined);
    return { q: text('q'), statut: text('statut'), region: text('region') };
  };
  const cepList = async (c: Context<Env>, filters: CepFilters, cursor: string | undefined) => {
    const nir = asNir(filters.q);
    const params = new URLSearchParams();
    if (filters.statut) params.set('statut', filters.statut);
    if (filters.region) params.set('region', filters.region);
    let error: string | undefined;
    let res: { status: number; body: CepListAnswer } | null = null;
    if (filters.q && !nir)
      error = 'Saisissez un numéro de période, ou un NIR complet (15 caractères, clé comprise).';
    else if (nir && c.req.method !== 'POST')
      error = 'La recherche par NIR passe par le formulaire de recherche.';
    else if (nir) {
      res = await api<CepListAnswer>(c, '/v1/cep/periodes/search', {
        nir,
        limit: 50,
        ...Object.fromEntries(params),
        ...(cursor ? { cursor } : {}),
      });
    } else {
      if (cursor) params.set('cursor', cursor);
      params.set('limit', '50');
      res = await api<CepListAnswer>(c, `/v1/cep/periodes?${params}`);
    }
    if (res && res.status !== 200) error = `Filtres invalides : ${res.body.error?.message ?? res.status}`;
    const items = res?.status === 200 ? (res.body.items ?? []) : [];
    const next = res?.status === 200 ? (res.body.nextCursor ?? null) : null;
    const keep = new URLSearchParams();
    if (filters.statut) keep.set('statut', filters.statut);
    if (filters.region) keep.set('region', filters.region);
    return page(
      c,
      'Périodes CEP',
      'cep',
      <CepListPage
        filters={filters}
        items={items}
        {...pagesOf('/console/cep', keep, cursor, next, nir)}
        error={error}
      />,
      error ? 400 : 200,
    );
  };

  app.get('/console/cep', async (c) => {
    const refused = cepOnly(c, 'periods');
    if (refused) return refused;
    const filters = cepFilters(c.req.query());
    const search = filters.q?.replace(/\s+/g, '');
    if (search && !asNir(search) && PeriodeId.safeParse(search).success) {
      return c.redirect(`/console/cep/${encodeURIComponent(search)}`, 303);
    }
    return cepList(c, filters, c.req.query('cursor'));
  });

  app.post('/console/cep', async (c) => {
    const refused = cepOnly(c, 'periods');
    if (refused) return refused;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const filters = cepFilters(form);
    if (asNir(filters.q))
      return cepList(c, filters, typeof form.cursor === 'string' ? form.cursor : undefined);
    const keep = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) keep.set(k, v);
    return c.redirect(`/console/cep?${keep}`, 303);
  });

  app.get('/console/cep/:id', async (c) => {
    const refused = cepOnly(c, 'periods');
    if (refused) return refused;
    const id = c.req.param('id');
    const notFound = () =>
      notFoundPage(
        c,
        'cep',
        'Période introuvable',
        `Aucune période ${id} n'est visible pour votre organisation.`,
      );
    if (!PeriodeId.safeParse(id).success) return notFound();
    const [period, history] = await Promise.all([
      api<CepView>(c, `/v1/cep/periodes/${encodeURIComponent(id)}`),
      api<{ events: Parameters<typeof CepPeriodPage>[0]['events'] }>(
        c,
        `/v1/cep/periodes/${encodeURIComponent(id)}/history`,
      ),
    ]);
    if (period.status === 404 || history.status === 404) return notFound();
    if (period.status !== 200 || history.status !== 200) return unavailable(c, 'cep');
    return page(c, `Période ${id}`, 'cep', <CepPeriodPage p={period.body} events={history.body.events} />);
  });

  app.get('/console/dossiers/:id', async (c) => {
    const id = c.req.param('id');
    const notFound = () =>
      notFoundPage(
        c,
        'dossiers',
        'Dossier introuvable',
        `Aucun dossier ${id} n'est visible pour votre organisation.`,
      );
    if (!isDossierId(id)) return notFound();
    const [dossier, history] = await Promise.all([
      api<DossierViewT>(c, `/v1/dossiers/${encodeURIComponent(id)}`),
      api<{ events: Parameters<typeof DossierPage>[0]['events'] }>(
        c,
        `/v1/dossiers/${encodeURIComponent(id)}/history`,
      ),
    ]);
    if (dossier.status === 404 || history.status === 404) return notFound();
    if (dossier.status !== 200 || history.status !== 200) return unavailable(c, 'dossiers');
    const me = c.get('user').actor;
    // The SIRETs on the page, as names where the partner is registered.
    const sirets = [
      ...new Set([
        ...dossier.body.financements.map((f) => f.financeurSiret),
        ...history.body.events.map((e) => e.source).filter((s) => /^\d{14}$/.test(s)),
        ...(dossier.body.remunerateurSiret ? [dossier.body.remunerateurSiret] : []),
      ]),
    ].slice(0, 50);
    const found = sirets.length
      ? await api<{ items?: { siret: string; nom: string }[] }>(
          c,
          `/v1/partenaires?${new URLSearchParams(sirets.map((s): [string, string] => ['siret', s]))}`,
        )
      : null;
    const names = Object.fromEntries((found?.body.items ?? []).map((p) => [p.siret, p.nom]));
    return page(
      c,
      `Dossier ${id}`,
      'dossiers',
      <DossierPage
        d={dossier.body}
        events={history.body.events}
        me={me.admin ? null : me.siret}
        kind={me.admin ? null : me.kind}
        names={names}
      />,
    );
  });

  // Any other console address: a page in French, never the API's JSON.
  app.all('/console/*', (c) =>
    notFoundPage(c, null, 'Page introuvable', "Cette page n'existe pas. Revenez à la liste des dossiers."),
  );

  return app;
}

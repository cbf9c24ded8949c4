import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isValidNir } from '../../domain/nir';
import { FUNDING_KINDS, type PartnerKind } from '../../domain/codes';
import { DossierId, type DossierViewT } from '../../domain/schemas';
import { Layout, type Section } from './layout';
import {
  DashboardPage,
  type DossierStats,
  DossierPage,
  type InsertionStats,
  type ListFilters,
  ListPage,
  LoginPage,
  MessagePage,
} from './pages';

const COOKIE = 'agora_console';
const isDossierId = (s: string) => DossierId.safeParse(s).success;

interface Me {
  admin: boolean;
  siret?: string;
  kind?: string;
  region?: string;
  name?: string;
}

type Env = { Variables: { token: string; me: Me } };
type ApiCall = (path: string, init: RequestInit) => Response | Promise<Response>;

/**
 * The case workers' console, server-rendered in French. It is a client of the API itself, called
 * in process with the partner's own token (kept in an HttpOnly, SameSite=Strict cookie): every
 * page shows exactly what the API shows that partner, audited the same way.
 */
export function consoleRoutes(callApi: ApiCall) {
  const app = new Hono<Env>();

  async function api<T>(c: Context<Env>, path: string): Promise<{ status: number; body: T }> {
    const res = await callApi(path, {
      headers: {
        authorization: `Bearer ${c.get('token')}`,
        'x-request-id': c.req.header('x-request-id') ?? '',
      },
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const who = (me: Me) =>
    me.admin ? 'Plateforme (administration)' : `${me.name ?? me.kind} · SIRET ${me.siret ?? ''}`;
  const page = (c: Context<Env>, title: string, section: Section, body: Child, status = 200) =>
    c.html(
      <Layout title={title} section={section} who={who(c.get('me'))}>
        {body}
      </Layout>,
      status as 200,
    );

  app.get('/console/connexion', (c) =>
    c.html(
      <Layout title="Connexion" section={null}>
        <LoginPage />
      </Layout>,
    ),
  );

  app.post('/console/connexion', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const res = token
      ? await callApi('/v1/me', { headers: { authorization: `Bearer ${token}` } })
      : new Response(null, { status: 401 });
    if (res.status !== 200) {
      return c.html(
        <Layout title="Connexion" section={null}>
          <LoginPage error="Ce jeton n'est pas reconnu. Vérifiez-le auprès de l'administrateur de votre organisation." />
        </Layout>,
        401,
      );
    }
    setCookie(c, COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/console',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: 8 * 3600,
    });
    return c.redirect('/console', 303);
  });

  app.post('/console/deconnexion', (c) => {
    deleteCookie(c, COOKIE, { path: '/console' });
    return c.redirect('/console/connexion', 303);
  });

  // Every other page needs a signed-in partner.
  app.use('/console/*', signedIn);
  app.use('/console', signedIn);
  async function signedIn(c: Context<Env>, next: () => Promise<void>) {
    const token = getCookie(c, COOKIE);
    if (!token) return c.redirect('/console/connexion', 303);
    const me = await callApi('/v1/me', { headers: { authorization: `Bearer ${token}` } });
    if (me.status !== 200) {
      deleteCookie(c, COOKIE, { path: '/console' });
      return c.redirect('/console/connexion', 303);
    }
    c.set('token', token);
    c.set('me', (await me.json()) as Me);
    await next();
  }

  app.get('/console', async (c) => {
    const groups = ['status', 'issue', 'dispositif', 'region', 'financeur', 'objectif'];
    const [dossierStats, insertion, byDispositif] = await Promise.all([
      Promise.all(groups.map((g) => api<DossierStats>(c, `/v1/stats/dossiers?groupBy=${g}`))),
      Promise.all(
        ['M3', 'M6', 'M12'].map((p) =>
          api<InsertionStats>(c, `/v1/stats/insertion?point=${p}&groupBy=region`),
        ),
      ),
      api<InsertionStats>(c, '/v1/stats/insertion?point=M6&groupBy=dispositif'),
    ]);
    const stats = Object.fromEntries(groups.map((g, i) => [g, dossierStats[i]!.body]));
    return page(
      c,
      'Tableau de bord',
      'tableau',
      <DashboardPage
        stats={stats}
        insertion={insertion.map((r) => r.body)}
        insertionByDispositif={byDispositif.body}
      />,
    );
  });

  app.get('/console/dossiers', async (c) => {
    const q = c.req.query();
    const me = c.get('me');
    const canSearchNir = me.admin || FUNDING_KINDS.includes(me.kind as PartnerKind);
    const filters: ListFilters = {
      q: q.q?.trim() || undefined,
      status: q.status || undefined,
      issue: q.issue || undefined,
      dispositif: q.dispositif?.trim() || undefined,
      region: q.region || undefined,
      organisme: q.organisme?.trim() || undefined,
      financeur: q.financeur?.trim() || undefined,
      createdFrom: q.createdFrom || undefined,
      createdTo: q.createdTo || undefined,
    };
    const search = filters.q?.replace(/\s+/g, '');
    const nir =
      search && /^[0-9AB]{15}$/i.test(search) && isValidNir(search.toUpperCase())
        ? search.toUpperCase()
        : null;
    if (search && !nir && isDossierId(search)) {
      return c.redirect(`/console/dossiers/${encodeURIComponent(search)}`, 303);
    }
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v && k !== 'q') params.set(k, v);
    if (nir) params.set('nir', nir);
    if (q.cursor) params.set('cursor', q.cursor);
    params.set('limit', '50');
    let error: string | undefined;
    let items: DossierViewT[] = [];
    let next: string | null = null;
    if (search && !nir) {
      error = canSearchNir
        ? 'Saisissez un numéro de dossier, ou un NIR complet (15 caractères, clé comprise).'
        : 'Saisissez un numéro de dossier.';
    } else {
      const res = await api<{
        items?: DossierViewT[];
        nextCursor?: string | null;
        error?: { message: string };
      }>(c, `/v1/dossiers?${params}`);
      if (res.status === 200) {
        items = res.body.items ?? [];
        next = res.body.nextCursor ?? null;
      } else {
        error =
          res.status === 403
            ? 'La recherche par NIR est réservée aux financeurs.'
            : `Filtres invalides : ${res.body.error?.message ?? res.status}`;
      }
    }
    const keep = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) keep.set(k, v);
    const nextUrl = next ? `/console/dossiers?${new URLSearchParams([...keep, ['cursor', next]])}` : null;
    const firstUrl = q.cursor ? `/console/dossiers?${keep}` : null;
    return page(
      c,
      'Dossiers',
      'dossiers',
      <ListPage
        filters={filters}
        items={items}
        nextUrl={nextUrl}
        firstUrl={firstUrl}
        error={error}
        canSearchNir={canSearchNir}
      />,
      error ? 400 : 200,
    );
  });

  app.get('/console/dossiers/:id', async (c) => {
    const id = c.req.param('id');
    const notFound = () =>
      page(
        c,
        'Dossier introuvable',
        'dossiers',
        <MessagePage
          title="Dossier introuvable"
          message={`Aucun dossier ${id} n'est visible pour votre organisation.`}
        />,
        404,
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
    if (dossier.status !== 200 || history.status !== 200) {
      return page(
        c,
        'Indisponible',
        'dossiers',
        <MessagePage
          title="Service momentanément indisponible"
          message="Réessayez dans quelques instants."
        />,
        503,
      );
    }
    const me = c.get('me');
    return page(
      c,
      `Dossier ${id}`,
      'dossiers',
      <DossierPage d={dossier.body} events={history.body.events} me={me.admin ? null : (me.siret ?? null)} />,
    );
  });

  return app;
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Actor, PartnerActor } from '../../domain/authorization';
import { PartnerKind } from '../../domain/codes';
import { checkPassword } from '../../infra/passwords';
import { findAgentByEmail } from '../../db/agents';
import { createDataSession, endSession, takeDataSession, useDataSession } from '../../db/sessions';
import { type Buckets, clientAddress, sameSecret } from '../auth';
import { ConsoleOidcClient, type PendingSignIn } from '../oidc/console-client';
import type { EmbeddedProvider } from '../oidc/embedded-provider';
import { EMBEDDED_CLIENT_ID, embeddedSecret } from '../oidc/shared';
import { Layout } from './layout';
import { AgentLoginPage, LoginPage, type SignInMode } from './pages/login';
import { MessagePage } from './pages/message';

const COOKIE = 'agora_console';
const PENDING_COOKIE = 'agora_connexion';
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 10 * 3600_000;
const PENDING_MS = 10 * 60_000;
/** A scrypt hash no password matches: an unknown email costs the same time as a wrong password. */
const NO_AGENT_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** What a console session is for: the admin (signed in with its token), or an agent of a partner. */
type SessionData =
  | { admin: true }
  | {
      admin: false;
      partnerId: string;
      /** The embedded provider's account (checked still enabled on each page); null: an outside provider. */
      agentId: string | null;
      email: string;
      prenom: string | null;
      nom: string | null;
      idToken: string;
    };

/** Who is signed in, as the console's pages need it. */
export interface ConsoleUser {
  actor: Actor;
  /** The header's "who": the agent and the partner's name, or the platform. */
  agent: string | null;
  partner: string;
  csrf: string;
}

export type SignInEnv = {
  Variables: { user: ConsoleUser };
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
};

/** Where the public reaches this server, and where it listens (the embedded provider calls itself). */
export interface Origins {
  publicUrl: string;
  localUrl: string;
  /** Set by AGORA_PUBLIC_URL (a proxy in front): the Host header may then differ from it. */
  explicit?: boolean;
}

/**
 * The console's sign-in (CONTRACT.md, "Console sign-in (agents)"): agents through OpenID Connect
 * (an outside provider such as ProConnect, or the embedded one under /oidc), the admin with its
 * token; server-side sessions with an idle and an absolute expiry, ended at sign-out; a CSRF token
 * per session on every form that changes something.
 */
export function consoleSignIn(deps: {
  orm: MikroORM;
  adminToken: string | undefined;
  /** The API's own key (vouchKey): the embedded provider's secrets and the CSRF tokens derive from it. */
  key: string;
  failures: Buckets;
  logger: Logger;
  /** An outside provider (AGORA_OIDC_*); unset: the embedded one. */
  oidc?: { issuer: string; clientId: string; clientSecret: string } | undefined;
}) {
  const { orm } = deps;
  const csrfKey = embeddedSecret(deps.key, 'cookies');
  const csrfOf = (sessionId: string) =>
    createHmac('sha256', csrfKey).update(`csrf:${sessionId}`).digest('base64url');
  const mode: SignInMode = deps.oidc ? 'proconnect' : 'embedded';

  let origins: Origins | null = null;
  let embedded: Promise<EmbeddedProvider> | null = null;
  let client: ConsoleOidcClient | null = null;
  const redirectUri = () => `${origins!.publicUrl}/console/oidc/callback`;

  /** Called once the server listens: the provider and the client need the public address. */
  function listening(o: Origins): void {
    origins = { ...o, publicUrl: o.publicUrl.replace(/\/$/, ''), localUrl: o.localUrl.replace(/\/$/, '') };
    if (deps.oidc) {
      client = new ConsoleOidcClient({ ...deps.oidc, redirectUri: redirectUri(), embedded: false });
    } else {
      const issuer = `${origins.publicUrl}/oidc`;
      // oidc-provider (Koa) loads on first use: a second to import, for the processes that serve it.
      embedded = import('../oidc/embedded-provider').then((m) =>
        m.embeddedProvider({ issuer, redirectUri: redirectUri(), key: deps.key, orm }),
      );
      client = new ConsoleOidcClient({
        issuer,
        clientId: EMBEDDED_CLIENT_ID,
        clientSecret: embeddedSecret(deps.key, 'client').toString('base64url'),
        redirectUri: redirectUri(),
        embedded: true,
        localOrigin: origins.localUrl,
      });
    }
  }

  const cookieOptions = (c: Context, sameSite: 'Strict' | 'Lax', path: string) => ({
    httpOnly: true,
    sameSite,
    path,
    secure: new URL(c.req.url).protocol === 'https:' || origins?.publicUrl.startsWith('https:') === true,
  });

  /** A path of the console to come back to after signing in (nothing else: no open redirect). */
  const safeReturn = (to: string | undefined) =>
    to && /^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(to) && !to.startsWith('//') ? to : '/console';

  const loginPage = (c: Context, opts: { error?: string; info?: string; returnTo?: string }, status = 200) =>
    c.html(
      <Layout title="Connexion" section={null}>
        <LoginPage mode={mode} returnTo={safeReturn(opts.returnTo)} error={opts.error} info={opts.info} />
      </Layout>,
      status as 200,
    );

  const app = new Hono<SignInEnv>();

  app.get('/console/connexion', (c) => {
    const q = c.req.query();
    return loginPage(c, {
      ...(q.expire !== undefined
        ? { info: 'Votre session a expiré. Reconnectez-vous : vous reviendrez à la page demandée.' }
        : {}),
      ...(q.fin !== undefined ? { info: 'Vous êtes déconnecté.' } : {}),
      ...(q.refus === 'partenaire'
        ? {
            error:
              "Votre compte n'est rattaché à aucun partenaire de la plateforme (SIRET inconnu). Demandez à l'administration de la plateforme d'enregistrer votre organisation.",
          }
        : {}),
      ...(q.refus === 'echec'
        ? {
            error: "La connexion n'a pas abouti. Recommencez ; si cela persiste, contactez l'administration.",
          }
        : {}),
      ...(q.retour ? { returnTo: q.retour } : {}),
    });
  });

  // An agent: off to the provider, the sign-in under way kept server-side.
  app.get('/console/connexion/oidc', async (c) => {
    // On the public address only: the provider sends the browser back there, to its cookie.
    const here = new URL(c.req.url);
    if (origins && !origins.explicit && here.host !== new URL(origins.publicUrl).host) {
      return c.redirect(`${origins.publicUrl}${here.pathname}${here.search}`, 303);
    }
    if (!client)
      return loginPage(c, { error: "La connexion des agents n'est pas disponible sur ce serveur." }, 503);
    let started;
    try {
      started = await client.start(safeReturn(c.req.query('retour')));
    } catch (err) {
      deps.logger.warn({ err }, 'console sign-in: the OpenID provider cannot be reached');
      return loginPage(
        c,
        { error: "Le service d'identification ne répond pas. Réessayez dans quelques instants." },
        503,
      );
    }
    const id = await createDataSession(
      orm.em.fork(),
      'oidc-login',
      'pending',
      started.pending,
      PENDING_MS,
      PENDING_MS,
    );
    // Lax: the provider sends the browser back from another site.
    setCookie(c, PENDING_COOKIE, id, {
      ...cookieOptions(c, 'Lax', '/console/oidc'),
      maxAge: PENDING_MS / 1000,
    });
    return c.redirect(started.url, 303);
  });

  app.get('/console/oidc/callback', async (c) => {
    const pendingId = getCookie(c, PENDING_COOKIE);
    deleteCookie(c, PENDING_COOKIE, { path: '/console/oidc' });
    const pending = pendingId
      ? await takeDataSession<PendingSignIn>(orm.em.fork(), 'oidc-login', pendingId)
      : null;
    if (!pending || !client || !origins) return c.redirect('/console/connexion?expire', 303);
    const url = new URL(c.req.url);
    const callbackUrl = new URL(`${origins.publicUrl}/console/oidc/callback${url.search}`);
    let claims;
    try {
      claims = await client.finish(callbackUrl, pending);
    } catch (err) {
      // The message only: a provider's error may carry the answer it refused, claims and all.
      deps.logger.warn(
        { reason: err instanceof Error ? err.message : String(err) },
        'console sign-in refused',
      );
      return c.redirect('/console/connexion?refus=echec', 303);
    }
    const [partner] = claims.siret
      ? await orm.em
          .fork()
          .getConnection()
          .execute<{ id: string }[]>('select id from partners where siret = ?', [claims.siret])
      : [];
    if (!partner) return c.redirect('/console/connexion?refus=partenaire', 303);
    const data: SessionData = {
      admin: false,
      partnerId: partner.id,
      agentId: mode === 'embedded' ? claims.sub : null,
      email: claims.email,
      prenom: claims.prenom,
      nom: claims.nom,
      idToken: claims.idToken,
    };
    const id = await createDataSession(orm.em.fork(), 'console', 'agent', data, IDLE_MS, ABSOLUTE_MS);
    setCookie(c, COOKIE, id, cookieOptions(c, 'Strict', '/'));
    return continueTo(c, pending.returnTo);
  });

  /**
   * A page that goes on to the console by itself: the SameSite=Strict cookie is not sent on a
   * redirect that follows another site's (the provider's), but is on this page's own navigation.
   */
  const continueTo = (c: Context, to: string) =>
    c.html(
      <html lang="fr">
        <head>
          <meta charset="utf-8" />
          <meta http-equiv="refresh" content={`0;url=${safeReturn(to)}`} />
          <title>Connexion · agora-flow</title>
        </head>
        <body>
          <main>
            <p>
              Connexion réussie. <a href={safeReturn(to)}>Continuer vers la console</a>
            </p>
          </main>
        </body>
      </html>,
    );

  // The admin (operators) with its token; a partner's token is for its systems, not for persons.
  app.post('/console/connexion', async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.token === 'string' ? form.token.trim() : '';
    const returnTo = typeof form.retour === 'string' ? form.retour : undefined;
    const address = clientAddress(c);
    const wait = deps.failures.wait(address);
    if (wait > 0) {
      return loginPage(
        c,
        { error: 'Trop de tentatives de connexion depuis cette adresse : réessayez dans quelques instants.' },
        429,
      );
    }
    if (!token || !deps.adminToken || !sameSecret(token, deps.adminToken)) {
      deps.failures.take(address);
      return loginPage(
        c,
        {
          error:
            "Ce jeton n'est pas celui de l'administration de la plateforme. Les agents des partenaires se connectent avec leur compte personnel ; les jetons d'API des partenaires servent à leurs systèmes.",
          ...(returnTo ? { returnTo } : {}),
        },
        401,
      );
    }
    const id = await createDataSession(
      orm.em.fork(),
      'console',
      'admin',
      { admin: true },
      IDLE_MS,
      ABSOLUTE_MS,
    );
    setCookie(c, COOKIE, id, cookieOptions(c, 'Strict', '/'));
    return c.redirect(safeReturn(returnTo), 303);
  });

  // ---- the embedded provider's sign-in page (its accounts: the agents) ------------------------

  app.get('/oidc/interaction/:uid', async (c) => {
    const details = await interaction(c);
    if (!details) return expiredInteraction(c);
    return agentLogin(c, details.uid);
  });

  app.post('/oidc/interaction/:uid', async (c) => {
    const details = await interaction(c);
    if (!details || !embedded) return expiredInteraction(c);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const email = typeof form.email === 'string' ? form.email.trim() : '';
    const password = typeof form.motDePasse === 'string' ? form.motDePasse : '';
    const address = clientAddress(c);
    const wait = deps.failures.wait(address);
    if (wait > 0) {
      return agentLogin(
        c,
        details.uid,
        'Trop de tentatives depuis cette adresse : réessayez dans quelques instants.',
        429,
      );
    }
    const agent = email ? await findAgentByEmail(orm.em.fork(), email) : null;
    const good = await checkPassword(password, agent?.passwordHash ?? NO_AGENT_HASH);
    if (!agent || !good) {
      deps.failures.take(address);
      return agentLogin(c, details.uid, 'Adresse électronique ou mot de passe incorrect.', 401, email);
    }
    const to = await (
      await embedded
    ).provider.interactionResult(c.env.incoming!, c.env.outgoing!, {
      login: { accountId: agent.id },
    });
    return c.redirect(to, 303);
  });

  async function interaction(c: Context<SignInEnv>) {
    if (!embedded || !c.env?.incoming || !c.env.outgoing) return null;
    try {
      const details = await (await embedded).provider.interactionDetails(c.env.incoming, c.env.outgoing);
      return details.uid === c.req.param('uid') ? details : null;
    } catch {
      return null;
    }
  }
  const agentLogin = (c: Context, uid: string, error?: string, status = 200, email?: string) => {
    c.header('cache-control', 'no-store');
    return c.html(
      <Layout title="Connexion des agents" section={null}>
        <AgentLoginPage action={`/oidc/interaction/${uid}`} error={error} email={email} />
      </Layout>,
      status as 200,
    );
  };
  /** A page that says why something was refused, and where to go on. */
  const refusal = (
    c: Context,
    title: string,
    message: string,
    link: { href: string; text: string },
    status: number,
  ) =>
    c.html(
      <Layout title={title} section={null}>
        <MessagePage title={title} message={message} link={link} />
      </Layout>,
      status as 400,
    );
  const expiredInteraction = (c: Context) =>
    refusal(
      c,
      'Connexion expirée',
      "Cette page de connexion n'est plus valable. Recommencez depuis la console.",
      { href: '/console/connexion', text: 'Revenir à la connexion' },
      400,
    );

  // ---- sessions ----------------------------------------------------------------------------------

  /** The signed-in user of a request, its session's idle expiry pushed back; null: none. */
  async function userOf(c: Context): Promise<ConsoleUser | null> {
    const id = getCookie(c, COOKIE);
    if (!id) return null;
    const em = orm.em.fork();
    const session = await useDataSession<SessionData>(em, 'console', id, IDLE_MS);
    if (!session) return null;
    const data = session.data;
    if (data.admin) {
      return {
        actor: { admin: true },
        agent: null,
        partner: 'Plateforme (administration)',
        csrf: csrfOf(id),
      };
    }
    const [p] = await em
      .getConnection()
      .execute<{ id: string; siret: string; name: string; kind: string; region: string | null }[]>(
        `select p.id, p.siret, p.name, p.kind, p.region from partners p where p.id = ?
          and (?::uuid is null or exists (select 1 from agents a where a.id = ?::uuid and a.disabled_at is null))`,
        [data.partnerId, data.agentId, data.agentId],
      );
    if (!p) {
      await endSession(em, id);
      return null;
    }
    const actor: PartnerActor = {
      admin: false,
      partnerId: p.id,
      siret: p.siret,
      kind: PartnerKind.parse(p.kind),
      name: p.name,
      ...(p.region ? { region: p.region } : {}),
      agent: data.email,
    };
    const person = [data.prenom, data.nom].filter(Boolean).join(' ');
    return {
      actor,
      agent: person ? `${person} (${data.email})` : data.email,
      partner: p.name,
      csrf: csrfOf(id),
    };
  }

  /**
   * Every other console page needs a session: without one, the sign-in page, told why when the
   * session expired, and back to the page asked for once signed in. A form that changes
   * something must carry the session's CSRF token.
   */
  async function signedIn(c: Context<SignInEnv>, next: () => Promise<void>) {
    const user = await userOf(c);
    if (!user) {
      const had = getCookie(c, COOKIE) !== undefined;
      if (had) deleteCookie(c, COOKIE, { path: '/' });
      const asked = c.req.method === 'GET' ? `${c.req.path}${new URL(c.req.url).search}` : c.req.path;
      const q = new URLSearchParams({ retour: safeReturn(asked) });
      return c.redirect(`/console/connexion?${had ? 'expire&' : ''}${q}`, 303);
    }
    if (c.req.method === 'POST') {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      const sent = typeof form._csrf === 'string' ? form._csrf : '';
      if (sent.length !== user.csrf.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(user.csrf))) {
        return refusal(
          c,
          'Formulaire refusé',
          "Ce formulaire n'est plus valable (page trop ancienne, ou envoyée d'ailleurs). Rechargez la page et recommencez.",
          { href: '/console', text: 'Revenir au tableau de bord' },
          403,
        );
      }
    }
    c.set('user', user);
    await next();
  }

  // Signing out ends the session at once, everywhere; then the provider's own, if it has one.
  app.post('/console/deconnexion', signedIn, async (c) => {
    const id = getCookie(c, COOKIE)!;
    const data = (await endSession(orm.em.fork(), id)) as SessionData | null;
    deleteCookie(c, COOKIE, { path: '/' });
    const after = `${origins?.publicUrl ?? ''}/console/connexion?fin`;
    const there = data && !data.admin && client ? await client.endSessionUrl(data.idToken, after) : null;
    return c.redirect(there ?? '/console/connexion?fin', 303);
  });

  return {
    routes: app,
    signedIn,
    listening,
    /**
     * The embedded provider's own requests (everything under /oidc but its sign-in page): null
     * when the URL is not one, else a function that serves it.
     */
    providerHandles(url: string | undefined): ((req: IncomingMessage, res: ServerResponse) => void) | null {
      const provider = embedded;
      if (!provider || !url) return null;
      if (!/^\/oidc(\/|\?|$)/.test(url) || url.startsWith('/oidc/interaction/')) return null;
      return (req, res) => {
        provider.then(
          (p) => p.handle(req, res),
          (err: unknown) => {
            deps.logger.error({ err }, 'the embedded OpenID provider failed to start');
            res.statusCode = 503;
            res.end();
          },
        );
      };
    },
  };
}

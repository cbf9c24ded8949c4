import { createHmac, createPrivateKey } from 'node:crypto';
import { EMBEDDED_CLIENT_ID, SCOPES, embeddedSecret } from './shared';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MikroORM } from '@mikro-orm/postgresql';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { oidcAdapter } from '../../db/oidc-adapter';
import { SECURITY_HEADERS } from '../http-middleware';
import { findAgentById } from '../../db/agents';

/** The Ed25519 signing key of the ID tokens, as a private JWK, from a 32-byte seed. */
function signingJwk(seed: Buffer) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  return {
    ...jwk,
    kid: createHmac('sha256', seed).update('kid').digest('base64url').slice(0, 16),
    use: 'sig',
    alg: 'EdDSA',
  };
}

export interface EmbeddedProvider {
  provider: Provider;
  /** Serve one of the provider's own requests (discovery, authorization, token, userinfo, keys). */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The OpenID provider `npm start` serves under `/oidc` when no outside one is configured: its
 * accounts are the agents the admin created (db/agents.ts), it asks for the password every time
 * (the console's sign-out then leaves nothing signed in), and its answers carry ProConnect's
 * claims (`siret`, `email`, `given_name`, `usual_name`). Its state lives in PostgreSQL.
 */
export function embeddedProvider(opts: {
  issuer: string;
  redirectUri: string;
  key: string;
  orm: MikroORM;
}): EmbeddedProvider {
  const provider = new Provider(opts.issuer, {
    adapter: oidcAdapter(opts.orm),
    clients: [
      {
        client_id: EMBEDDED_CLIENT_ID,
        client_secret: embeddedSecret(opts.key, 'client').toString('base64url'),
        redirect_uris: [opts.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [signingJwk(embeddedSecret(opts.key, 'signing'))] },
    cookies: { keys: [embeddedSecret(opts.key, 'cookies').toString('base64url')] },
    scopes: ['openid', 'email', 'given_name', 'usual_name', 'siret'],
    claims: {
      openid: ['sub'],
      email: ['email'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      siret: ['siret'],
    },
    async findAccount(_ctx, id) {
      const agent = await findAgentById(opts.orm.em.fork(), id);
      if (!agent) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: agent.email,
          ...(agent.prenom ? { given_name: agent.prenom } : {}),
          ...(agent.nom ? { usual_name: agent.nom } : {}),
          siret: agent.partnerSiret,
        }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/oidc/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    // The console is the provider's only client, first-party: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const accountId = ctx.oidc.session?.accountId;
      const client = ctx.oidc.client;
      if (!accountId || !client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId });
      grant.addOIDCScope(SCOPES);
      await grant.save();
      return grant;
    },
    ttl: {
      Interaction: 600,
      Session: 600,
      Grant: 600,
      AuthorizationCode: 60,
      AccessToken: 300,
      IdToken: 300,
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      const text = String(out.error_description ?? out.error ?? 'erreur').replace(/[<>&"]/g, '');
      ctx.body = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Connexion impossible · agora-flow</title></head><body><main><h1>Connexion impossible</h1><p>${text}</p><p><a href="/console/connexion">Revenir à la connexion</a></p></main></body></html>`;
    },
  });
  const prefix = new URL(opts.issuer).pathname.replace(/\/$/, '');
  const callback = provider.callback();
  return {
    provider,
    handle(req, res) {
      // Mounted under the issuer's path: the provider routes what follows it.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = (req.url ?? '/').slice(prefix.length) || '/';
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      res.setHeader('cache-control', 'no-store');
      void callback(req, res);
    },
  };
}

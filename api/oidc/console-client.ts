import * as oidc from 'openid-client';
import { SCOPES } from './shared';

/** Who signed in, from the provider's ID token and userinfo (ProConnect's claim names). */
export interface AgentClaims {
  sub: string;
  email: string;
  siret: string | null;
  prenom: string | null;
  nom: string | null;
}

/** A sign-in under way: kept server-side until the provider sends the agent back. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export class SignInError extends Error {}

/**
 * The console as an OpenID Connect client (openid-client): authorization code with PKCE, state
 * and nonce; the claims from the ID token completed by userinfo (ProConnect answers it as a
 * signed JWT, which openid-client checks). `localOrigin`: the provider is this very server (the
 * embedded one), reached on its listening address whatever its public one.
 */
export class ConsoleOidcClient {
  private config: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly opts: {
      issuer: string;
      clientId: string;
      clientSecret: string;
      redirectUri: string;
      /** The embedded provider: its ID tokens are signed with EdDSA, and it asks the password each time. */
      embedded: boolean;
      localOrigin?: string;
    },
  ) {}

  private configuration(): Promise<oidc.Configuration> {
    if (!this.config) {
      const { issuer, clientId, clientSecret, embedded, localOrigin } = this.opts;
      const publicOrigin = new URL(issuer).origin;
      const options: oidc.DiscoveryRequestOptions = {
        ...(issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
        ...(localOrigin
          ? {
              [oidc.customFetch]: (url: string, init: oidc.CustomFetchOptions) =>
                fetch(
                  url.startsWith(publicOrigin) ? localOrigin + url.slice(publicOrigin.length) : url,
                  init as RequestInit,
                ),
            }
          : {}),
      };
      this.config = oidc
        .discovery(
          new URL(issuer),
          clientId,
          { client_secret: clientSecret, ...(embedded ? { id_token_signed_response_alg: 'EdDSA' } : {}) },
          oidc.ClientSecretBasic(clientSecret),
          options,
        )
        .catch((e: unknown) => {
          this.config = null;
          throw e;
        });
    }
    return this.config;
  }

  /** Where to send the browser, and what to keep until it comes back. */
  async start(returnTo: string): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.opts.redirectUri,
      scope: SCOPES,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(this.opts.embedded ? { prompt: 'login' } : {}),
    });
    return { url: url.href, pending };
  }

  /** The agent the provider sent back (`callbackUrl`: the callback as the browser asked it). */
  async finish(callbackUrl: URL, pending: PendingSignIn): Promise<AgentClaims & { idToken: string }> {
    const config = await this.configuration();
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new SignInError(e instanceof Error ? e.message : String(e));
    }
    const id = tokens.claims();
    if (!id) throw new SignInError('no ID token');
    const info = await oidc.fetchUserInfo(config, tokens.access_token, id.sub);
    const all: Record<string, unknown> = { ...id, ...info };
    const text = (k: string) => (typeof all[k] === 'string' && all[k] !== '' ? (all[k] as string) : null);
    const email = text('email');
    if (!email) throw new SignInError('the provider sent no email');
    return {
      sub: id.sub,
      email,
      siret: text('siret')?.replace(/\s+/g, '') ?? null,
      prenom: text('given_name'),
      nom: text('usual_name') ?? text('family_name'),
      idToken: tokens.id_token ?? '',
    };
  }

  /** The provider's end-session endpoint, to sign out there too (none for the embedded one). */
  async endSessionUrl(idToken: string, after: string): Promise<string | null> {
    if (this.opts.embedded || !idToken) return null;
    const config = await this.configuration().catch(() => null);
    if (!config?.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: after }).href;
  }
}

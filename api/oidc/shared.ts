import { createHmac } from 'node:crypto';

/** The embedded provider's client: the console itself (CONTRACT.md, "Console sign-in (agents)"). */
export const EMBEDDED_CLIENT_ID = 'agora-console';
/** What the console asks for, as ProConnect names it. */
export const SCOPES = 'openid email given_name usual_name siret';

/**
 * A secret of the embedded provider, derived (HMAC) from the API's own key: every API instance
 * of the platform derives the same signing key, cookie key and client secret, nothing to store.
 */
export function embeddedSecret(key: string, use: 'signing' | 'cookies' | 'client'): Buffer {
  return createHmac('sha256', Buffer.from(key, 'hex')).update(`agora-oidc-${use}-v1`).digest();
}

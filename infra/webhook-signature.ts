import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The webhooks' signature (CONTRACT.md, "Change feed and webhooks"), as Stripe and GitHub do it:
 * `X-Agora-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, keyed with the
 * subscription's secret (the whole string, UTF-8). The timestamp lets a receiver refuse a replay.
 */

export const SIGNATURE_HEADER = 'X-Agora-Signature';

/** A new subscription's secret (shown once). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (the README's snippet does the same): the header's MAC over "t.body"
 * matches, and t is within `toleranceSeconds` of now.
 */
export function verifySignature(
  header: string,
  body: string,
  secret: string,
  opts: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

import { fromHex, hmacSha256, sameText, toHex, utf8 } from './hmac';

/** JSON with sorted keys, so the same data always gives the same text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The platform's word that a message to a dossier's workflow comes from the API: an HMAC-SHA-256,
 * under a key only the API and the dossier's workflow hold, of the dossier's id and the whole
 * message (the actor included). Anyone who reaches Temporal without it (the `temporal` CLI, the
 * Web UI, a client of their own) sends messages the workflow refuses (CONTRACT.md, "Operations").
 */
export function vouch(keyHex: string, dossierId: string, message: object): string {
  return toHex(hmacSha256(fromHex(keyHex), utf8(canonicalJson({ dossierId, message }))));
}

/** Whether `message.vouch` is the platform's word for this dossier and the rest of the message. */
export function isVouched(keyHex: string, dossierId: string, message: { vouch?: unknown }): boolean {
  const { vouch: given, ...rest } = message;
  return typeof given === 'string' && sameText(given, vouch(keyHex, dossierId, rest));
}

/** What a payload not encrypted with a platform key decodes to: a value every handler refuses. */
export const REFUSED_PAYLOAD = '__agoraRefused';

/** Whether a decoded value is the codec's mark for a payload it would not decrypt. */
export function isRefusedPayload(value: unknown): boolean {
  return !!value && typeof value === 'object' && REFUSED_PAYLOAD in (value as object);
}

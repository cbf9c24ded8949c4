import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/vouch';

export { canonicalJson };

/** The hash of an event's business content: everything but its eventId. */
export function bodyHash(body: { eventId: string }): string {
  const { eventId: _eventId, ...rest } = body;
  return createHash('sha256').update(canonicalJson(rest)).digest('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// A namespace import: crypto.hash is missing before Node.js 20.12, and a named import would not load there.
import * as crypto from 'node:crypto';

const { createHmac, hkdfSync } = crypto;

type KeyEnv = { AGORA_DATA_KEY?: string | undefined; AGORA_HASH_KEY?: string | undefined };

/**
 * A key of its own for one use, derived (HKDF) from AGORA_HASH_KEY, or from AGORA_DATA_KEY when
 * unset. Unlike the data key it must never rotate without rehashing, hence its own derivation.
 */
function derivedKey(env: KeyEnv, info: string): Buffer {
  const base = env.AGORA_HASH_KEY ?? env.AGORA_DATA_KEY;
  if (!base) throw new Error('AGORA_DATA_KEY (or AGORA_HASH_KEY) is needed to pseudonymise NIRs');
  return Buffer.from(hkdfSync('sha256', Buffer.from(base, 'base64'), Buffer.alloc(0), info, 32));
}

/**
 * The keyed hash of a NIR (HMAC-SHA-256): DSN lines are stored and looked up by it, so the clear
 * NIR is never stored.
 */
export function nirHasher(env: KeyEnv) {
  return hmacSha256(derivedKey(env, 'agora-nir-hash-v1'));
}

/** Messages up to this size are hashed in the prepared buffer; longer ones by createHmac. */
const PREPARED_MAX = 256;

/**
 * HMAC-SHA-256 under a fixed key, the same bytes as createHmac's, as two one-shot hashes over
 * buffers prepared once (the key XOR ipad, the key XOR opad; RFC 2104): no HMAC object per call.
 * The DSN import hashes the NIR of every line, a million a month (docs/PERFORMANCE.md, "Choices
 * the figures made"). Node.js before 20.12 has no crypto.hash: createHmac there.
 */
export function hmacSha256(key: Buffer): (data: string) => Buffer {
  const hasher = preparedHmac(key);
  KEYS.set(hasher, Buffer.from(key));
  return hasher;
}

/** Each hasher's key, for the threads that hash in parallel (db/dsn-import.ts): never exported. */
const KEYS = new WeakMap<object, Buffer>();

/** The key of a hasher `hmacSha256` made (undefined for any other function). */
export const hasherKey = (hasher: (data: string) => Buffer): Buffer | undefined => KEYS.get(hasher);

function preparedHmac(key: Buffer): (data: string) => Buffer {
  const slow = (data: string) => createHmac('sha256', key).update(data).digest();
  const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;
  if (typeof oneShot !== 'function' || key.length > 64) return slow;
  const inner = Buffer.alloc(64 + PREPARED_MAX);
  const outer = Buffer.alloc(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = (key[i] ?? 0) ^ 0x36;
    outer[i] = (key[i] ?? 0) ^ 0x5c;
  }
  return (data) => {
    const length = Buffer.byteLength(data);
    if (length > PREPARED_MAX) return slow(data);
    inner.write(data, 64, 'utf8');
    oneShot('sha256', inner.subarray(0, 64 + length), 'buffer').copy(outer, 64);
    return oneShot('sha256', outer, 'buffer');
  };
}

/**
 * `stagiaire_pseudo` of the regional files: a keyed hash (HMAC-SHA-256, its own derived key) of
 * the NIR's keyed hash, so the files never carry the NIR nor the look-up hash of the DSN tables.
 * Stable from one week to the next, 32 hex characters.
 */
export function exportPseudonymizer(env: KeyEnv) {
  const key = derivedKey(env, 'agora-export-pseudo-v1');
  return (nirHash: Buffer): string => createHmac('sha256', key).update(nirHash).digest('hex').slice(0, 32);
}

/**
 * What identifies a NIR hash key without revealing it: the first 8 bytes of the keyed hash of a
 * fixed string that is no NIR (16 hex characters). Recorded with the read model and each DSN month.
 */
export function keyFingerprint(hashNir: (text: string) => Buffer): string {
  return hashNir('agora-hash-key-fingerprint').subarray(0, 8).toString('hex');
}

/**
 * The key of the API's vouch for its messages to dossiers' workflows (domain/vouch.ts), hex. Derived
 * like the NIR hash key, so it never changes with a rotation of the data key: dossiers started
 * long ago keep it in their input.
 */
export function vouchKey(env: KeyEnv): string {
  return derivedKey(env, 'agora-vouch-v1').toString('hex');
}

import { createHmac, hkdfSync } from 'node:crypto';

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
  const key = derivedKey(env, 'agora-nir-hash-v1');
  return (nir: string): Buffer => createHmac('sha256', key).update(nir).digest();
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

import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The keyed hash of a NIR (HMAC-SHA-256): DSN lines are stored and looked up by it, so the clear
 * NIR is never stored. The key is AGORA_HASH_KEY, or derived from AGORA_DATA_KEY; unlike the data
 * key it must never rotate without rehashing, hence its own derivation.
 */
export function nirHasher(env: { AGORA_DATA_KEY?: string | undefined; AGORA_HASH_KEY?: string | undefined }) {
  const base = env.AGORA_HASH_KEY ?? env.AGORA_DATA_KEY;
  if (!base) throw new Error('AGORA_DATA_KEY (or AGORA_HASH_KEY) is needed to pseudonymise NIRs');
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(base, 'base64'), Buffer.alloc(0), 'agora-nir-hash-v1', 32),
  );
  return (nir: string): Buffer => createHmac('sha256', key).update(nir).digest();
}

/**
 * `stagiaire_pseudo` of the regional files: a keyed hash (HMAC-SHA-256, its own derived key) of
 * the NIR's keyed hash, so the files never carry the NIR nor the look-up hash of the DSN tables.
 * Stable from one week to the next, 32 hex characters.
 */
export function exportPseudonymizer(env: {
  AGORA_DATA_KEY?: string | undefined;
  AGORA_HASH_KEY?: string | undefined;
}) {
  const base = env.AGORA_HASH_KEY ?? env.AGORA_DATA_KEY;
  if (!base) throw new Error('AGORA_DATA_KEY (or AGORA_HASH_KEY) is needed to pseudonymise NIRs');
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(base, 'base64'), Buffer.alloc(0), 'agora-export-pseudo-v1', 32),
  );
  return (nirHash: Buffer): string => createHmac('sha256', key).update(nirHash).digest('hex').slice(0, 32);
}

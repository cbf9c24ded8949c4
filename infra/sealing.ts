import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { dataKeys } from './payload-codec';

/**
 * AES-256-GCM sealing of one personal datum at rest (the NIR in the read model): key id, IV,
 * ciphertext and tag in one buffer, so a rotated key still opens what it sealed.
 */
export function sealer(env: {
  AGORA_DATA_KEY?: string | undefined;
  AGORA_DATA_KEYS_OLD?: string | undefined;
}) {
  const { current, older } = dataKeys(env);
  const keys = new Map([current, ...older].map((k) => [k.id, k.key]));
  return {
    seal(text: string): Buffer {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from(current.id, 'hex'), iv, body, cipher.getAuthTag()]);
    },
    open(sealed: Buffer): string {
      const key = keys.get(sealed.subarray(0, 6).toString('hex'));
      if (!key) throw new Error('no data key for this sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(6, 18));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([
        decipher.update(sealed.subarray(18, sealed.length - 16)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

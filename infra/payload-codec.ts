import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import protos from '@temporalio/proto';
import { REFUSED_PAYLOAD } from '../domain/vouch';

const { temporal } = protos;

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface DataKey {
  id: string;
  key: Buffer;
}

/** A key's id: a short hash of it, so payloads name the key without revealing it. */
export function dataKey(base64: string): DataKey {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('a data key must be 32 bytes in base64');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

/** The current data key and the former ones still needed to decrypt (AGORA_DATA_KEYS_OLD). */
export function dataKeys(env: {
  AGORA_DATA_KEY?: string | undefined;
  AGORA_DATA_KEYS_OLD?: string | undefined;
}): {
  current: DataKey;
  older: DataKey[];
} {
  if (!env.AGORA_DATA_KEY) {
    throw new Error('AGORA_DATA_KEY is not set: personal data would be kept in clear (npm start makes one)');
  }
  const older = (env.AGORA_DATA_KEYS_OLD ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(dataKey);
  return { current: dataKey(env.AGORA_DATA_KEY), older };
}

/**
 * What a payload not encrypted with a platform key decodes to in the platform's workers and
 * clients: a JSON value every handler refuses (domain/vouch.ts). Throwing instead would fail the
 * workflow task that carries it, again and again: one forged message would stop the dossier.
 */
// A new one each time: the SDK may hand a payload's buffers over to the workflow thread.
const refused = (): Payload => ({
  metadata: { [METADATA_ENCODING_KEY]: enc.encode('json/plain') },
  data: enc.encode(JSON.stringify({ [REFUSED_PAYLOAD]: 'not encrypted with a platform key' })),
});

/**
 * AES-256-GCM payload codec: every payload Temporal stores (inputs, results, queries, failures'
 * details) is encrypted with the current key; older keys still decrypt what they wrote. A payload
 * not encrypted with a platform key is refused (`refusePlain`, the workers' and clients' codec):
 * only the platform writes to its workflows (CONTRACT.md). The Web UI's decoding shows it as is.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: DataKey,
    older: DataKey[] = [],
    private readonly opts: { refusePlain: boolean } = { refusePlain: true },
  ) {
    this.keys = new Map([current, ...older].map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: enc.encode(ENCODING), [KEY_ID]: enc.encode(this.current.id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || dec.decode(encoding) !== ENCODING) return this.opts.refusePlain ? refused() : payload;
      const keyIdBytes = payload.metadata?.[KEY_ID];
      const keyId = keyIdBytes ? dec.decode(keyIdBytes) : '';
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`no data key with id ${keyId}: add it to AGORA_DATA_KEYS_OLD`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

import { readFileSync } from 'node:fs';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Env } from './env';
import { AesGcmPayloadCodec, dataKey } from './payload-codec';

/** The data converter every client and worker of the platform uses: payloads encrypted at rest. */
export function dataConverter(env: Pick<Env, 'AGORA_DATA_KEY' | 'AGORA_DATA_KEYS_OLD'>): DataConverter {
  if (!env.AGORA_DATA_KEY) {
    throw new Error(
      'AGORA_DATA_KEY is not set: personal data would reach Temporal in clear (npm start makes one)',
    );
  }
  return { payloadCodecs: [payloadCodec(env)] };
}

export function payloadCodec(env: Pick<Env, 'AGORA_DATA_KEY' | 'AGORA_DATA_KEYS_OLD'>): AesGcmPayloadCodec {
  if (!env.AGORA_DATA_KEY) throw new Error('AGORA_DATA_KEY is not set');
  const older = (env.AGORA_DATA_KEYS_OLD ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(dataKey);
  return new AesGcmPayloadCodec(dataKey(env.AGORA_DATA_KEY), older);
}

/** Connection options for a local server, a TLS cluster or Temporal Cloud (API key). */
export function connectionOptions(env: Env) {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? {
          clientCertPair: {
            crt: readFileSync(env.TEMPORAL_TLS_CERT),
            key: readFileSync(env.TEMPORAL_TLS_KEY),
          },
        }
      : env.TEMPORAL_API_KEY
        ? true
        : undefined;
  return {
    address: env.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  };
}

/**
 * Client options for request-serving processes: a few quick retries rather than the SDK's ten, so
 * that a partner hears 503 within a second or two when Temporal is down instead of waiting 20 s.
 */
export function apiConnectionOptions(env: Env) {
  return {
    ...connectionOptions(env),
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  };
}

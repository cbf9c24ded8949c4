import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Env } from './env';
import { AesGcmPayloadCodec, dataKeys } from './payload-codec';
import { ROOT } from './paths';

/** Encodes failures' messages and stack traces (bundled into workflows: see the test bundle too). */
export const FAILURE_CONVERTER_PATH = join(ROOT, 'infra', 'failure-converter.cjs');

/**
 * The data converter every client and worker of the platform uses: payloads encrypted at rest,
 * failures' messages and stack traces encoded with them.
 */
export function dataConverter(env: Pick<Env, 'AGORA_DATA_KEY' | 'AGORA_DATA_KEYS_OLD'>): DataConverter {
  return { payloadCodecs: [payloadCodec(env)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/**
 * The platform's codec; `forDisplay` (the Web UI's decoding endpoint) shows a payload not
 * encrypted with a platform key as it is, where workers and clients refuse it.
 */
export function payloadCodec(
  env: Pick<Env, 'AGORA_DATA_KEY' | 'AGORA_DATA_KEYS_OLD'>,
  opts: { forDisplay?: boolean } = {},
): AesGcmPayloadCodec {
  const { current, older } = dataKeys(env);
  return new AesGcmPayloadCodec(current, older, { refusePlain: !opts.forDisplay });
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

import { parentPort, workerData } from 'node:worker_threads';
import { shortTextHmacInto } from '../domain/hmac';
import { hmacSha256 } from '../infra/pseudonym';
import { type BatchContext, parseChunk } from './dsn-parse';

/**
 * A thread of the DSN import: pieces of the file in (bytes, whole lines, transferred), binary COPY tuples
 * (transferred back) and refusals out (db/dsn-parse.ts). Compiled and started by
 * db/dsn-import.ts.
 */
const { key, ctx } = workerData as { key: Uint8Array; ctx: BatchContext };
const hasher = { bytes: hmacSha256(Buffer.from(key)), into: shortTextHmacInto(key) };
const decoder = new TextDecoder();
parentPort!.on('message', (m: { id: number; bytes: Uint8Array }) => {
  const r = parseChunk(ctx, decoder.decode(m.bytes), hasher);
  // Its own buffer, moved back without a copy.
  const copy = r.copy.slice();
  parentPort!.postMessage({ ...r, id: m.id, copy }, [copy.buffer]);
});

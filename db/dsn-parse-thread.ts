import { parentPort, workerData } from 'node:worker_threads';
import { hmacLanes } from '../infra/hmac-lanes';
import { hmacSha256 } from '../infra/pseudonym';
import { type BatchContext, parseChunk } from './dsn-parse';

/**
 * A thread of the DSN import: pieces of the file in (bytes, whole lines, transferred), binary COPY tuples
 * (transferred back) and refusals out (db/dsn-parse.ts). Compiled and started by
 * db/dsn-import.ts.
 */
const { key, ctx, lanes } = workerData as { key: Uint8Array; ctx: BatchContext; lanes: object };
const hasher = { bytes: hmacSha256(Buffer.from(key)), lanes: hmacLanes(key, lanes) };
// The buffer the pieces are written into, one after the other (an allocation a piece costs the
// memory's zeroing and V8's accounting of it).
let reuse: Uint8Array = new Uint8Array(0);
parentPort!.on('message', (m: { id: number; bytes: Uint8Array }) => {
  const r = parseChunk(ctx, m.bytes, hasher, reuse);
  reuse = new Uint8Array(r.copy.buffer);
  // A buffer of its own, moved back without a copy.
  const copy = r.copy.slice();
  parentPort!.postMessage({ ...r, id: m.id, copy }, [copy.buffer]);
});

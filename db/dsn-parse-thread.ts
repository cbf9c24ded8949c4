import { parentPort, workerData } from 'node:worker_threads';
import { hmacSha256Hex } from '../infra/pseudonym';
import { type BatchContext, parseBatch } from './dsn-parse';

/**
 * A thread of the DSN import: batches of lines in, COPY text and refusals out (db/dsn-parse.ts).
 * Compiled and started by db/dsn-import.ts.
 */
const { key, ctx } = workerData as { key: Uint8Array; ctx: BatchContext };
const hashHex = hmacSha256Hex(Buffer.from(key));
parentPort!.on('message', (m: { id: number; numbers: number[]; texts: string[] }) => {
  parentPort!.postMessage({ id: m.id, ...parseBatch(ctx, m.numbers, m.texts, hashHex) });
});

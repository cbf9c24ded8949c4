import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * An oversize body up to this size is read and dropped before the 413 is sent: a client that
 * writes its whole body before it reads the answer (Python's urllib, `Connection: close`) would
 * otherwise have its connection reset under it, the unread bytes making the kernel send a reset,
 * and never see the 413. Larger bodies, or slower ones, are answered without waiting.
 */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 5000;

async function drain(c: Context): Promise<void> {
  const body = c.req.raw.body;
  if (!body) return;
  const reader = body.getReader();
  // A pending read ends (done) once the reader is cancelled.
  const timer = setTimeout(() => void reader.cancel().catch(() => undefined), DRAIN_MAX_MS);
  try {
    while (!(await reader.read()).done);
  } catch {
    // The client went away: nothing left to answer.
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Hono's body limit, without its cost on every request. Hono's reads `c.req.raw.body`, which makes
 * @hono/node-server build a whole Web Request around the Node.js stream, headers converted and
 * the body then read through Web streams: a large share of the HTTP server's CPU per partner
 * event (docs/PERFORMANCE.md, "Choices the figures made"). A body with a Content-Length is judged by the header (Node.js's parser never
 * hands on more than it declares); only a chunked body is counted as it streams, by Hono's.
 */
export function bodyLimitByHeader(opts: {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler {
  const counting = bodyLimit(opts);
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      const declared = parseInt(length, 10);
      if (!(declared > opts.maxSize)) return next();
      if (declared <= DRAIN_MAX_BYTES) await drain(c);
      return opts.onError(c);
    }
    return counting(c, next);
  };
}

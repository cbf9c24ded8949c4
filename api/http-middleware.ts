import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { MiddlewareHandler } from 'hono';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { inSpan } from '../infra/telemetry';
import type { Logger } from '../infra/logger';
import type { AppEnv } from './app-env';
import { bodyLimitByHeader } from './body-limit';
import { ApiError, errorResponse } from './errors';
import type { Metrics } from './metrics';

/**
 * One trace per partner call: this span is current while the handler runs, so the Temporal
 * client's spans (and through their headers the workflow's and the activities') join it. Its name
 * and attributes are the route and the status: never a path's ids, a query or a body.
 */
export function traceRequests(tracer: Tracer): MiddlewareHandler {
  return (c, next) =>
    inSpan(tracer, c.req.method, async (span) => {
      await next();
      span.updateName(`${c.req.method} ${c.req.routePath}`);
      span.setAttributes({
        'http.request.method': c.req.method,
        'http.route': c.req.routePath,
        'http.response.status_code': c.res.status,
      });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    });
}

/**
 * Scripts, frames and forms from the platform itself only; styles inline too (the console's
 * server-rendered pages carry theirs); images also as data: URLs (Swagger UI's icons).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * On every answer (CONTRACT.md, "Operations"): no sniffing, no referrer, nothing framed, and the
 * console and /docs load only their own scripts. The embedded OpenID provider, served beside the
 * app, sets them too (api/oidc/embedded-provider.ts).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': CSP,
};

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
};

/** A request id on every answer (the caller's, if it sent one), and each request measured and logged. */
export function requestLog(metrics: Metrics, logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || randomUUID();
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    await next();
    const route = c.req.routePath;
    const seconds = (performance.now() - started) / 1000;
    metrics.observe('agora_http_request_duration_seconds', { method: c.req.method, route }, seconds);
    metrics.inc('agora_http_requests_total', { method: c.req.method, route, status: String(c.res.status) });
    logger.debug({
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 1000),
    });
  };
}

/**
 * Every route is bounded, the sign-in forms included, before anything reads a body. DSN months
 * are streamed (a million lines), never held in memory: bounded by line as they are read. The
 * Temporal Web UI decodes a page of history at a time through /codec/decode: a larger bound.
 */
export function bodyLimits(maxSize: number): MiddlewareHandler {
  const tooLarge = (max: number) => ({
    maxSize: max,
    onError: (c: Parameters<MiddlewareHandler>[0]) =>
      errorResponse(c, new ApiError('PAYLOAD_TOO_LARGE', `request body over the limit of ${max} bytes`)),
  });
  const limit = bodyLimitByHeader(tooLarge(maxSize));
  const codecLimit = bodyLimitByHeader(tooLarge(Math.max(maxSize, 4 * 1024 * 1024)));
  // A batch of 10,000 certification results (CONTRACT.md).
  const resultsLimit = bodyLimitByHeader(tooLarge(Math.max(maxSize, 16 * 1024 * 1024)));
  // A partner file: 200,000 lines (CONTRACT.md), up to 256 MiB.
  const fluxLimit = bodyLimitByHeader(tooLarge(Math.max(maxSize, 256 * 1024 * 1024)));
  return (c, next) => {
    if (c.req.path === '/v1/dsn/imports') return next();
    if (c.req.path === '/v1/flux') return fluxLimit(c, next);
    const ndjson = /^application\/(x-)?ndjson/i.test(c.req.header('content-type') ?? '');
    if (c.req.path === '/v1/certifications/resultats' && ndjson) return resultsLimit(c, next);
    return c.req.path === '/codec/decode' ? codecLimit(c, next) : limit(c, next);
  };
}

/**
 * JSON comes in UTF-8 (CONTRACT.md): a body in another charset, or bytes that are not UTF-8 (a
 * name in Latin-1), is refused, rather than read with its letters replaced by U+FFFD and stored.
 */
export const utf8Json: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return next();
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    const message = `JSON is sent in UTF-8, not ${charset}`;
    return errorResponse(
      c,
      new ApiError('VALIDATION_ERROR', message, [{ path: 'header.content-type', message }]),
    );
  }
  if (!isUtf8(new Uint8Array(await c.req.arrayBuffer()))) {
    const message = 'not valid UTF-8: send JSON in UTF-8 (a name in Latin-1 would lose its accents)';
    return errorResponse(
      c,
      new ApiError('VALIDATION_ERROR', `invalid body: ${message}`, [{ path: 'body', message }]),
    );
  }
  return next();
};

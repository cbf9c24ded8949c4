import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

/** The State's design system (@gouvfr/dsfr), as published: its styles, scripts, fonts and icons. */
const DSFR_DIST = join(dirname(createRequire(import.meta.url).resolve('@gouvfr/dsfr/package.json')), 'dist');
const VERSION = (
  JSON.parse(readFileSync(join(DSFR_DIST, '..', 'package.json'), 'utf8')) as { version: string }
).version;
/** Where the console's pages find the design system (versioned: cached for a year). */
export const DSFR_BASE = `/dsfr/${VERSION}`;

const FILES =
  /^(dsfr\.min\.css|dsfr\.module\.min\.js|dsfr\.nomodule\.min\.js|fonts\/[A-Za-z_-]+\.woff2?|favicon\/[a-z-]+\.(svg|ico|png))$/;
const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  woff: 'font/woff',
  woff2: 'font/woff2',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  png: 'image/png',
};

/** `GET /dsfr/{version}/...`: the design system's files the console uses, from memory once read. */
export function dsfrAssets() {
  const app = new Hono();
  const cache = new Map<string, Buffer>();
  app.get(`${DSFR_BASE}/*`, (c) => {
    const file = c.req.path.slice(DSFR_BASE.length + 1);
    if (!FILES.test(file)) return c.text('not found', 404);
    let body = cache.get(file);
    if (!body) {
      try {
        body = readFileSync(join(DSFR_DIST, file));
      } catch {
        return c.text('not found', 404);
      }
      cache.set(file, body);
    }
    c.header('content-type', TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream');
    c.header('cache-control', 'public, max-age=31536000, immutable');
    return c.body(new Uint8Array(body));
  });
  return app;
}

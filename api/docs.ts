import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { ApiError } from './errors';
import { withCommonErrors } from './route-kit';

/**
 * `/openapi.json` (generated from the routes' schemas, with the errors every `/v1` route may
 * answer) and Swagger UI at `/docs`, served from the installed package: no internet access needed.
 */
export function docsRoutes(generate: () => { paths?: object }) {
  const app = new Hono();
  let openapi: unknown;
  app.get('/openapi.json', (c) => {
    openapi ??= withCommonErrors(generate());
    return c.json(openapi);
  });
  app.get('/docs', (c) => c.html(DOCS_HTML));
  app.get('/docs/assets/init.js', (c) =>
    c.body(DOCS_INIT, 200, { 'content-type': 'application/javascript; charset=utf-8' }),
  );
  app.get('/docs/assets/:file', (c) => {
    const file = c.req.param('file');
    const asset = SWAGGER_ASSETS[file];
    if (!asset) throw new ApiError('NOT_FOUND', `no asset ${file}`);
    return c.body(readAsset(file), 200, { 'content-type': asset, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}

// Swagger UI is served from the installed package, so /docs works without internet access.
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};
const swaggerDir = (() => {
  const require = createRequire(import.meta.url);
  return join(require.resolve('swagger-ui-dist/package.json'), '..');
})();
const assetCache = new Map<string, Uint8Array<ArrayBuffer>>();
function readAsset(file: string): Uint8Array<ArrayBuffer> {
  let b = assetCache.get(file);
  if (!b) {
    b = new Uint8Array(readFileSync(join(swaggerDir, file)));
    assetCache.set(file, b);
  }
  return b;
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agora-flow API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script></body></html>`;
/** Its own file, not inline: the Content-Security-Policy admits no inline script. */
const DOCS_INIT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });\n";

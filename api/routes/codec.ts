import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { sha256Hex } from '../../infra/canonical-hash';
import { ApiError } from '../errors';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const COOKIE = 'agora_codec';

/**
 * The remote codec of the Temporal Web UI (`--ui-codec-endpoint`): decodes payloads for the
 * platform admin only, either with the admin token as bearer or with the cookie that
 * `/codec/signin` sets; CORS lets only the Web UI's own origins call it.
 */
export function codecRoutes(deps: {
  codec: PayloadCodec;
  adminToken: string | undefined;
  uiOrigins: string[];
}) {
  const app = new Hono();
  const session = deps.adminToken ? sha256Hex(`${deps.adminToken}:codec-session`) : null;
  const same = (a: string, b: string) =>
    timingSafeEqual(Buffer.from(sha256Hex(a)), Buffer.from(sha256Hex(b)));

  app.use('/codec/*', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && deps.uiOrigins.includes(origin)) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
      c.header('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      c.header('Vary', 'Origin');
    }
    if (c.req.method === 'OPTIONS') return c.body(null, 204);
    return next();
  });

  const requireAdmin = (c: Context) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (deps.adminToken && bearer && same(bearer, deps.adminToken)) return;
    const cookie = getCookie(c, COOKIE);
    if (session && cookie && same(cookie, session)) return;
    throw new ApiError(
      'UNAUTHENTICATED',
      'the codec endpoint is for the platform admin: sign in at /codec/signin',
    );
  };

  app.post('/codec/decode', async (c) => {
    requireAdmin(c);
    const body = (await c.req.json().catch(() => null)) as { payloads?: JsonPayload[] } | null;
    if (!body || !Array.isArray(body.payloads))
      throw new ApiError('VALIDATION_ERROR', 'expected {"payloads": [...]}');
    const decoded = await deps.codec.decode(body.payloads.map(fromJson));
    return c.json({ payloads: decoded.map(toJson) });
  });

  app.get('/codec/signin', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>agora-flow: decode in the Temporal UI</title></head>
<body><h1>Decode payloads in the Temporal Web UI</h1>
<form method="post" action="/codec/signin"><label for="t">Admin token</label>
<input id="t" name="token" type="password" autocomplete="off" required><button type="submit">Sign in</button></form>
<p>Then, in the Web UI's codec settings, allow cross-origin credentials.</p></body></html>`),
  );
  app.post('/codec/signin', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token : '';
    if (!deps.adminToken || !session || !same(token, deps.adminToken)) {
      throw new ApiError('UNAUTHENTICATED', 'not the admin token');
    }
    setCookie(c, COOKIE, session, { httpOnly: true, sameSite: 'Lax', path: '/codec', maxAge: 8 * 3600 });
    return c.text('Signed in: the Temporal Web UI can now decode payloads in this browser for 8 hours.');
  });
  return app;
}

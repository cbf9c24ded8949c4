import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createSession, findSession } from '../../db/sessions';
import { type Buckets, clientAddress, rateLimited, sameSecret } from '../auth';
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

/**
 * A decoded payload as an operator sees it: without the key the API vouches with (a dossier's
 * workflow input holds it), so that no one can vouch by hand for a message of their own.
 */
function withoutVouchKey(p: Payload): Payload {
  const encoding = p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : '';
  if (encoding !== 'json/plain' || !p.data) return p;
  const text = Buffer.from(p.data).toString('utf8');
  if (!text.includes('"vouchKey"')) return p;
  const value = JSON.parse(text) as { vouchKey?: unknown; carried?: { vouchKey?: unknown } };
  if (value.vouchKey !== undefined) value.vouchKey = '[redacted]';
  if (value.carried?.vouchKey !== undefined) value.carried.vouchKey = '[redacted]';
  return { ...p, data: Buffer.from(JSON.stringify(value)) };
}

const isJsonPayload = (p: unknown): p is JsonPayload => {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const { metadata, data } = p as { metadata?: unknown; data?: unknown };
  if (data !== undefined && typeof data !== 'string') return false;
  if (metadata === undefined) return true;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
  return Object.values(metadata).every((v) => typeof v === 'string');
};

const UNREADABLE = 'cannot be decrypted: altered, truncated, or not encrypted by this platform';
const badPayload = (i: number, message: string) =>
  new ApiError('VALIDATION_ERROR', `payloads[${i}]: ${message}`, [{ path: `body.payloads.${i}`, message }]);

const COOKIE = 'agora_codec';
const SESSION_MS = 8 * 3600_000;

/**
 * The remote codec of the Temporal Web UI (`--ui-codec-endpoint`): decodes payloads for the
 * platform admin only, either with the admin token as bearer or with the session cookie that
 * `/codec/signin` sets (a random id, kept server-side for 8 hours); CORS lets only the Web UI's
 * own origins call it. Failed sign-ins count against the address, as unknown tokens do.
 */
export function codecRoutes(deps: {
  codec: PayloadCodec;
  adminToken: string | undefined;
  uiOrigins: string[];
  orm: MikroORM;
  failures: Buckets;
}) {
  const app = new Hono();

  app.use(
    '/codec/*',
    cors({
      origin: deps.uiOrigins,
      credentials: true,
      allowHeaders: ['authorization', 'content-type', 'x-namespace'],
      allowMethods: ['POST', 'OPTIONS'],
    }),
  );

  const requireAdmin = async (c: Context) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (deps.adminToken && bearer && sameSecret(bearer, deps.adminToken)) return;
    const cookie = getCookie(c, COOKIE);
    if (cookie && (await findSession(deps.orm.em.fork(), 'codec', cookie)) === 'admin') return;
    throw new ApiError(
      'UNAUTHENTICATED',
      'the codec endpoint is for the platform admin: sign in at /codec/signin',
    );
  };

  const payloadsOf = async (c: Context) => {
    const body = (await c.req.json().catch(() => null)) as { payloads?: unknown } | null;
    if (!body || !Array.isArray(body.payloads))
      throw new ApiError('VALIDATION_ERROR', 'expected {"payloads": [...]}');
    return body.payloads.map((p: unknown, i) => {
      if (!isJsonPayload(p)) {
        throw badPayload(i, 'expected {"metadata": {name: base64 text}, "data": base64 text}');
      }
      return fromJson(p);
    });
  };

  app.post('/codec/decode', async (c) => {
    await requireAdmin(c);
    const payloads = await payloadsOf(c);
    // One at a time, so that the answer names the payload that cannot be read.
    const decoded: JsonPayload[] = [];
    for (const [i, payload] of payloads.entries()) {
      try {
        const [plain] = await deps.codec.decode([payload]);
        decoded.push(toJson(withoutVouchKey(plain!)));
      } catch (e) {
        const message = e instanceof Error && e.message.startsWith('no data key') ? e.message : UNREADABLE;
        throw badPayload(i, message);
      }
    }
    return c.json({ payloads: decoded });
  });

  // Operators' tools (`temporal ... --codec-endpoint`) encrypt what they send, as the platform
  // does: a signal, say. An Update still needs the API's vouch, which no one can make here.
  app.post('/codec/encode', async (c) => {
    await requireAdmin(c);
    const encoded = await deps.codec.encode(await payloadsOf(c));
    return c.json({ payloads: encoded.map(toJson) });
  });

  app.get('/codec/signin', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>agora-flow: decode in the Temporal UI</title></head>
<body><h1>Decode payloads in the Temporal Web UI</h1>
<form method="post" action="/codec/signin"><label for="t">Admin token</label>
<input id="t" name="token" type="password" autocomplete="off" required><button type="submit">Sign in</button></form>
<p>Then, in the Web UI's codec settings, allow cross-origin credentials.</p></body></html>`),
  );
  app.post('/codec/signin', async (c) => {
    const address = clientAddress(c);
    const wait = deps.failures.wait(address);
    if (wait > 0) throw rateLimited(c, wait, 'too many failed sign-ins from this address');
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token : '';
    if (!deps.adminToken || !sameSecret(token, deps.adminToken)) {
      deps.failures.take(address);
      throw new ApiError('UNAUTHENTICATED', 'not the admin token');
    }
    const session = await createSession(deps.orm.em.fork(), 'codec', 'admin', SESSION_MS);
    setCookie(c, COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/codec',
      maxAge: SESSION_MS / 1000,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.text('Signed in: the Temporal Web UI can now decode payloads in this browser for 8 hours.');
  });
  return app;
}

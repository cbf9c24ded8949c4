import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bodyLimitByHeader } from '../../api/body-limit';

function app() {
  const a = new Hono();
  a.use('*', bodyLimitByHeader({ maxSize: 10, onError: (c) => c.json({ error: 'too large' }, 413) }));
  a.post('/', async (c) => c.json({ got: await c.req.text() }));
  a.get('/', (c) => c.json({ ok: true }));
  return a;
}

/** A body sent in chunks, with no Content-Length (Transfer-Encoding: chunked over HTTP/1.1). */
const chunked = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });

describe('bodyLimitByHeader', () => {
  it('lets through a body whose declared length is within the limit, and reads it whole', async () => {
    const res = await app().request('/', { method: 'POST', body: '0123456789' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: '0123456789' });
  });

  it('refuses a body whose declared length is over the limit, before reading it', async () => {
    const res = await app().request('/', { method: 'POST', body: '0123456789A' });
    expect(res.status).toBe(413);
  });

  it('counts a body without a declared length as it streams', async () => {
    const over = await app().request('/', {
      method: 'POST',
      body: chunked('01234', '56789', 'AB'),
      duplex: 'half',
    } as RequestInit);
    expect(over.status).toBe(413);
    const within = await app().request('/', {
      method: 'POST',
      body: chunked('01234', '5678'),
      duplex: 'half',
    } as RequestInit);
    expect(within.status).toBe(200);
    expect(await within.json()).toEqual({ got: '012345678' });
  });

  it('does not look at GET requests', async () => {
    expect((await app().request('/')).status).toBe(200);
  });
});

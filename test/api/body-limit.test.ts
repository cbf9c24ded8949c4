import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
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

  it('refuses a body whose declared length is over the limit', async () => {
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

  it('reads an oversize body before it answers, so that a client writing it whole gets the 413', async () => {
    const server = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // As Python's urllib does: the whole body written, `Connection: close`, then the answer read.
      // Several MiB, more than the sockets buffer: a server that answers and closes without
      // reading them resets the connection, and the client's writes fail.
      const size = 16 * 1024 * 1024;
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let error: Error | undefined;
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('error', (e) => (error = e));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const write = (data: string | Buffer) =>
        new Promise<void>((resolve) =>
          socket.write(data, (e) => (e ? ((error ??= e), resolve()) : resolve())),
        );
      await write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 120);
      for (let sent = 0; sent < size && !error; sent += chunk.length) await write(chunk);
      socket.end();
      await closed;
      expect(error).toBeUndefined();
      expect(received).toMatch(/^HTTP\/1\.1 413/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

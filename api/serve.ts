import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { createApp } from './app';

type App = ReturnType<typeof createApp>;

/**
 * Serve the app over HTTP: the embedded OpenID provider's requests to its own Koa app, every
 * other to Hono. `publicUrl`: where browsers reach it (default: this address, `localhost` for
 * an address of every interface).
 */
export async function serveApp(
  app: App,
  opts: { port: number; hostname: string; publicUrl?: string | undefined },
): Promise<{ server: Server; url: string }> {
  const hono = getRequestListener(app.fetch);
  const server = createServer((req, res) => {
    const provider = app.providerHandles(req.url);
    if (provider) provider(req, res);
    else void hono(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.hostname, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const wildcard = opts.hostname === '0.0.0.0' || opts.hostname === '::';
  const host = wildcard ? '127.0.0.1' : opts.hostname.includes(':') ? `[${opts.hostname}]` : opts.hostname;
  const localUrl = `http://${host}:${port}`;
  const publicUrl = opts.publicUrl ?? (wildcard ? `http://localhost:${port}` : localUrl);
  app.listening({ publicUrl, localUrl, explicit: opts.publicUrl !== undefined });
  return { server, url: localUrl };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request } from 'node:http';

/**
 * The embedded Temporal Web UI, read-only: `temporal server start-dev` has no switch for it, so
 * `npm start` serves the UI through this proxy. Its settings say every write action is disabled
 * (the UI then greys out terminate, cancel, signal, reset, update, start and batch actions), and any
 * write call that still comes is refused: only the platform writes to its workflows (CONTRACT.md,
 * "Operations"). Reads go through as they are, queries included.
 */
export async function startReadOnlyUi(opts: {
  port: number;
  upstreamPort: number;
  host?: string;
}): Promise<{ close: () => Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/') && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !isRead(path)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          code: 7,
          message:
            'this Web UI is read-only: only the platform writes to dossiers (use the API, or temporal with admin rights)',
        }),
      );
      return;
    }
    forward(req, res, opts.upstreamPort, path.startsWith('/api/v1/settings'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Write-method calls that only read: a workflow query. */
const isRead = (path: string) =>
  /^\/api\/v1\/namespaces\/[^/]+\/workflows\/[^/]+\/query\//.test(path.split('?')[0]!);

function forward(req: IncomingMessage, res: ServerResponse, upstreamPort: number, settings: boolean): void {
  const headers = { ...req.headers };
  // The settings are rewritten: asked for in clear.
  if (settings) headers['accept-encoding'] = 'identity';
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers },
    (up) => {
      if (!settings || (up.statusCode ?? 500) >= 300) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body = Buffer.concat(chunks);
        try {
          const value = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          value.DisableWriteActions = true;
          for (const key of Object.keys(value)) if (/Disabled$/.test(key)) value[key] = true;
          body = Buffer.from(JSON.stringify(value));
        } catch {
          // Not the JSON expected: passed on as it came.
        }
        const { 'content-length': _length, 'transfer-encoding': _te, ...rest } = up.headers;
        res.writeHead(up.statusCode ?? 200, { ...rest, 'content-length': body.length });
        res.end(body);
      });
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('the Temporal Web UI is not answering (the server may be restarting)');
  });
  req.pipe(upstream);
}

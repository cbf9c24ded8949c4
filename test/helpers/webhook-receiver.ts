import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * A partner's webhook receiver on 127.0.0.1: it keeps every request and answers what `respond`
 * says for the n-th one (1-based).
 */
export async function webhookReceiver(respond: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const state = { respond };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = state.respond(received.length + 1);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/agora`,
    received,
    /** The items of the batches it acknowledged (2xx), in order. */
    acknowledged(): { id: string; version: number; type: string; source: string }[] {
      return received
        .filter((r) => r.status >= 200 && r.status < 300)
        .flatMap((r) => (JSON.parse(r.body) as { items: never[] }).items);
    },
    set respond(f: (n: number) => number) {
      state.respond = f;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

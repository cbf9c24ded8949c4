import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Where the webhooks may POST (CONTRACT.md, "Change feed and webhooks"): `https://` to a public
 * address. Private, loopback, link-local and other special addresses are refused when the URL is
 * given and again at each delivery, on the addresses the connection really uses (the check is in
 * the connection's own DNS look-up, so a name that resolves elsewhere later is caught too).
 * `allowPrivate` (AGORA_WEBHOOK_ALLOW_PRIVATE=1: one machine, the tests) lifts both rules.
 */

// Two lists: a BlockList checks IPv4 addresses against its IPv6 rules too (as IPv4-mapped ones).
const SPECIAL_V4 = new BlockList();
const SPECIAL_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  SPECIAL_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  // IPv4-mapped and NAT64 addresses reach IPv4 ones: refused rather than decoded.
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  SPECIAL_V6.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is a public one (not private, loopback, link-local, reserved...). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !SPECIAL_V4.check(address, 'ipv4') : !SPECIAL_V6.check(address, 'ipv6');
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** A subscription's URL as given: https (http only with allowPrivate), no credentials in it. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'url is not a URL: give an absolute https:// URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return {
      ok: false,
      message: allowPrivate
        ? 'url must be https:// (or http://, which AGORA_WEBHOOK_ALLOW_PRIVATE=1 allows)'
        : 'url must be https://',
    };
  if (url.username || url.password)
    return { ok: false, message: 'url must not carry credentials: the signature authenticates the platform' };
  if (url.hash) return { ok: false, message: 'url must not have a #fragment' };
  return { ok: true, url };
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** The URL's host resolves, and (unless allowPrivate) only to public addresses. */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean): Promise<UrlCheck> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (
        await new Promise<LookupAddress[]>((resolve, reject) =>
          dnsLookup(host, { all: true }, (err, a) => (err ? reject(err) : resolve(a))),
        )
      ).map((a) => a.address);
    } catch {
      return { ok: false, message: `url's host ${host} does not resolve` };
    }
  }
  if (!allowPrivate && addresses.some((a) => !isPublicAddress(a))) {
    return {
      ok: false,
      message: `url's host ${host} is a private, loopback or link-local address: a webhook goes to a public address`,
    };
  }
  return { ok: true, url };
}

/** A DNS look-up for the connection that refuses special addresses (the socket uses what it returns). */
function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) {
        return callback(new Error(`${hostname} resolves to a non-public address: not delivered`), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} does not resolve`), []);
      callback(null, first.address, first.family);
    });
  };
}

export interface PostResult {
  /** The receiver's status, null when none came (refused, timed out, not reachable). */
  status: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * POST one batch: a bounded time for the whole exchange, no redirect followed (a 3xx is a
 * failure), the answer's body read and dropped (at most 64 KiB).
 */
export function postBatch(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const done = (status: number | null, error: string | null): PostResult => ({
    status,
    error,
    durationMs: Math.round(performance.now() - started),
  });
  const u = new URL(url);
  const host = hostOf(u);
  if (isIP(host) && !opts.allowPrivate && !isPublicAddress(host))
    return Promise.resolve(done(null, `${host} is not a public address: not delivered`));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(r);
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'agora-flow-webhooks/1',
        ...headers,
      },
      lookup: guardedLookup(opts.allowPrivate) as never,
      agent: false,
    });
    const deadline = setTimeout(() => {
      req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000} s`));
    }, opts.timeoutMs);
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > 64 * 1024) res.destroy();
      });
      const status = res.statusCode ?? null;
      const end = () =>
        finish(
          done(
            status,
            status !== null && status >= 300 && status < 400
              ? `redirect to ${String(res.headers.location ?? '?').slice(0, 200)} not followed`
              : status !== null && (status < 200 || status >= 300)
                ? `the receiver answered ${status}`
                : null,
          ),
        );
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
    req.on('error', (err) => finish(done(null, err.message.slice(0, 500))));
    req.end(body);
  });
}

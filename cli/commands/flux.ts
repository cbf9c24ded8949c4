import { readFileSync, statSync } from 'node:fs';
import { type Command, UsageError, env } from '../context';

interface Status {
  fluxId: string;
  statut: 'EN_COURS' | 'TERMINE';
  lignes: number;
  traitees: number;
  acceptees: number;
  refusees: number;
  fin: string | null;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `[#########-----------]  45 %  4,500 / 10,000 lines  (12 refused)` */
function bar(s: Status): string {
  const width = 30;
  const share = s.lignes === 0 ? 1 : s.traitees / s.lignes;
  const full = Math.round(share * width);
  const n = (x: number) => x.toLocaleString('en-US');
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)} %  ${n(s.traitees)} / ${n(s.lignes)} lines  (${n(s.refusees)} refused)`;
}

/**
 * `agora flux send FILE [--token T] [--url U]`: sends a partner file (CONTRACT.md, "Partner files
 * (batch)") through the API with the partner's token (AGORA_TOKEN or --token), follows it with a
 * progress bar (on stderr), then lists its refused lines. Exit code 0 when every line was
 * accepted, 3 when some were refused. Sent again, the same file is the same file: its results.
 */
export const fluxCommand: Command = async ({ command, arg, values, json }) => {
  if (command !== 'send' || !arg) throw new UsageError('usage: agora flux send FILE [--token T] [--url U]');
  // The partner's own token, never the admin's by default: a file runs as its sender.
  const token = values.token ?? process.env.AGORA_TOKEN;
  if (!token)
    throw new UsageError('no token: pass --token, or set AGORA_TOKEN (the partner sending the file)');
  let size: number;
  try {
    size = statSync(arg).size;
  } catch {
    throw new UsageError(`cannot read ${arg}`);
  }
  const base = (values.url ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  const headers = { authorization: `Bearer ${token}` };
  const call = async (path: string, init: RequestInit = {}) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...init.headers } });
    } catch (e) {
      throw new Error(`cannot reach ${base}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.status >= 300) {
      const error = (body?.error ?? {}) as { message?: string };
      throw new Error(`the API answered ${res.status}: ${error.message ?? 'no answer'}`);
    }
    return body!;
  };
  const tty = process.stderr.isTTY === true;
  process.stderr.write(`sending ${arg} (${(size / 1024 / 1024).toFixed(1)} MiB)\n`);
  const sentAt = Date.now();
  const sent = (await call('/v1/flux', {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: readFileSync(arg),
  })) as { fluxId: string; lignes: number };
  const statusOf = async () => (await call(`/v1/flux/${sent.fluxId}`)) as unknown as Status;
  let status = await statusOf();
  // The same file sent before answers the same fluxId, and runs nothing again.
  const before = status.fin !== null && Date.parse(status.fin) < sentAt;
  process.stderr.write(
    `file ${sent.fluxId}: ${sent.lignes} lines, ${before ? 'already run before (nothing runs again)' : 'running'}\n`,
  );
  let shown = -1;
  for (;;) {
    if (tty) process.stderr.write(`\r${bar(status)}`);
    else if (status.statut === 'TERMINE' || status.traitees - shown >= Math.max(1, status.lignes / 10)) {
      // Not a terminal (CI, a log): a line at each tenth.
      process.stderr.write(`${bar(status)}\n`);
      shown = status.traitees;
    }
    if (status.statut === 'TERMINE') break;
    await pause(1000);
    status = await statusOf();
  }
  if (tty) process.stderr.write('\n');
  const refused: { ligne: number; status: number; code?: string; message?: string; objet?: string }[] = [];
  let cursor: string | null = null;
  do {
    const page = (await call(
      `/v1/flux/${sent.fluxId}/resultats?statut=REFUSE&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    )) as { items: typeof refused; nextCursor: string | null };
    refused.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...status, refused })}\n`);
  } else {
    for (const r of refused)
      process.stdout.write(
        `line ${r.ligne}: ${r.status} ${r.code ?? ''}${r.objet ? ` (${r.objet})` : ''} ${r.message ?? ''}\n`,
      );
    process.stdout.write(
      `${status.lignes} lines: ${status.acceptees} accepted, ${status.refusees} refused (file ${status.fluxId})\n`,
    );
  }
  return status.refusees > 0 ? 3 : 0;
};

import { existingSecret } from '../../infra/local-secrets';
import { type Command, UsageError, env } from '../context';

/**
 * `agora changes [--follow] [--cursor C] [--token T] [--url U]`: the change feed (CONTRACT.md,
 * "Change feed and webhooks") as NDJSON on stdout, one change per line, through the API with a
 * partner's token (AGORA_TOKEN) or the admin's. With --follow it keeps asking, every 2 seconds,
 * from the last cursor; the cursor goes to stderr after each page, to resume from.
 */
export const changesCommand: Command = async ({ values }) => {
  const token =
    values.token ?? process.env.AGORA_TOKEN ?? env.AGORA_ADMIN_TOKEN ?? existingSecret('admin-token');
  if (!token)
    throw new UsageError('no token: pass --token, or set AGORA_TOKEN (a partner) or AGORA_ADMIN_TOKEN');
  const base = (values.url ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  let cursor = values.cursor;
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  process.once('SIGTERM', () => (stop = true));
  for (;;) {
    const url = `${base}/v1/changes?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    } catch (e) {
      if (!values.follow)
        throw new Error(`cannot reach ${base}: ${e instanceof Error ? e.message : String(e)}`);
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    const body = (await res.json().catch(() => null)) as {
      items?: unknown[];
      nextCursor?: string;
      error?: { message: string };
    } | null;
    if (res.status !== 200 || !body?.items || !body.nextCursor) {
      if (res.status === 503 && values.follow) {
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      throw new Error(`the API answered ${res.status}: ${body?.error?.message ?? 'no feed'}`);
    }
    for (const item of body.items) process.stdout.write(`${JSON.stringify(item)}\n`);
    cursor = body.nextCursor;
    process.stderr.write(`cursor ${cursor}\n`);
    if (body.items.length === 1000) continue;
    if (!values.follow || stop) return 0;
    await new Promise((r) => setTimeout(r, 2000));
    if (stop) return 0;
  }
};

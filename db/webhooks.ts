import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import type { PartnerKind } from '../domain/code-lists';

/**
 * Webhooks (CONTRACT.md, "Change feed and webhooks"): a partner's subscription, the feed position
 * it has acknowledged (`cursor`: the last change it was sent and answered 2xx to, or scanned past),
 * its run of failures, and its recent attempts. The delivery itself: services/webhook-delivery.ts,
 * run by the subscription's workflow (workflows/webhook-workflow.ts).
 */

export interface WebhookRow {
  id: string;
  partnerId: string;
  url: string;
  events: string[] | null;
  secretSealed: Buffer;
  actif: boolean;
  motifDesactivation: string | null;
  cursor: string | null;
  echecs: number;
  enEchecDepuis: Date | null;
  dernierAcquittement: Date | null;
  createdAt: Date;
}

/** How many attempts a webhook keeps (`GET /v1/webhooks/{id}/livraisons`). */
export const KEPT_DELIVERIES = 100;

const COLUMNS = `id, partner_id, url, events, secret_sealed, actif, motif_desactivation, cursor, echecs,
  en_echec_depuis, dernier_acquittement, created_at`;

type Raw = {
  id: string;
  partner_id: string;
  url: string;
  events: string[] | null;
  secret_sealed: Buffer;
  actif: boolean;
  motif_desactivation: string | null;
  cursor: string | null;
  echecs: number;
  en_echec_depuis: Date | null;
  dernier_acquittement: Date | null;
  created_at: Date;
};

const toRow = (r: Raw): WebhookRow => ({
  id: r.id,
  partnerId: r.partner_id,
  url: r.url,
  events: r.events,
  secretSealed: r.secret_sealed,
  actif: r.actif,
  motifDesactivation: r.motif_desactivation,
  cursor: r.cursor,
  echecs: r.echecs,
  enEchecDepuis: r.en_echec_depuis,
  dernierAcquittement: r.dernier_acquittement,
  createdAt: r.created_at,
});

/** A new subscription; null when the partner has one already. */
export async function insertWebhook(
  em: EntityManager,
  w: {
    id: string;
    partnerId: string;
    url: string;
    events: string[] | null;
    secretSealed: Buffer;
    /** Where its deliveries start (the feed's head: the changes from its creation on). */
    cursor: string;
  },
): Promise<WebhookRow | null> {
  const rows = await em.getConnection().execute<Raw[]>(
    `insert into webhooks (id, partner_id, url, events, secret_sealed, cursor)
     values (?, ?, ?, ?::varchar(32)[], ?, ?)
     on conflict (partner_id) do nothing
     returning ${COLUMNS}`,
    [
      w.id,
      w.partnerId,
      w.url,
      w.events === null ? null : `{${w.events.join(',')}}`,
      w.secretSealed,
      w.cursor,
    ],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

export async function findWebhook(em: EntityManager, id: string): Promise<WebhookRow | null> {
  const rows = await em
    .getConnection()
    .execute<Raw[]>(`select ${COLUMNS} from webhooks where id = ?::uuid`, [id]);
  return rows[0] ? toRow(rows[0]) : null;
}

/** A partner's subscription (one at most), or every one for the admin. */
export async function listWebhooks(em: EntityManager, partnerId: string | null): Promise<WebhookRow[]> {
  const rows = await em
    .getConnection()
    .execute<Raw[]>(
      `select ${COLUMNS} from webhooks ${partnerId === null ? '' : 'where partner_id = ?::uuid'} order by created_at, id`,
      partnerId === null ? [] : [partnerId],
    );
  return rows.map(toRow);
}

/** Change what a partner may change: on or off (on again after off: a new run of failures), URL, types. */
export async function updateWebhook(
  em: EntityManager,
  id: string,
  change: { actif?: boolean; url?: string; events?: string[] | null },
): Promise<WebhookRow | null> {
  const sets: string[] = ['updated_at = now()'];
  const params: unknown[] = [];
  // On again after being off: a new run (a webhook still on keeps its run of failures).
  if (change.actif === true)
    sets.push(`actif = true, motif_desactivation = null,
      echecs = case when actif then echecs else 0 end,
      en_echec_depuis = case when actif then en_echec_depuis else null end`);
  if (change.actif === false) sets.push(`actif = false, motif_desactivation = 'PARTENAIRE'`);
  if (change.url !== undefined) {
    sets.push('url = ?');
    params.push(change.url);
  }
  if (change.events !== undefined) {
    sets.push('events = ?::varchar(32)[]');
    params.push(change.events === null ? null : `{${change.events.join(',')}}`);
  }
  const rows = await em
    .getConnection()
    .execute<Raw[]>(`update webhooks set ${sets.join(', ')} where id = ?::uuid returning ${COLUMNS}`, [
      ...params,
      id,
    ]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function deleteWebhook(em: EntityManager, id: string): Promise<boolean> {
  const rows = await em
    .getConnection()
    .execute<{ id: string }[]>('delete from webhooks where id = ?::uuid returning id', [id]);
  return rows.length > 0;
}

/** The partner a webhook delivers for, as the feed's visibility needs it; null if it is gone. */
export async function webhookActor(em: EntityManager, partnerId: string): Promise<Actor | null> {
  const [p] = await em
    .getConnection()
    .execute<{ id: string; siret: string; kind: PartnerKind; region: string | null; name: string }[]>(
      'select id, siret, kind, region, name from partners where id = ?::uuid',
      [partnerId],
    );
  if (!p) return null;
  return {
    admin: false,
    partnerId: p.id,
    siret: p.siret,
    kind: p.kind,
    name: p.name,
    ...(p.region ? { region: p.region } : {}),
  };
}

/**
 * The feed position moves from `from` to `to`: after an acknowledged batch (`acknowledged`: the
 * run of failures ends), or past changes that were not the webhook's to send. Guarded by `from`:
 * false when another delivery moved it meanwhile.
 */
export async function moveCursor(
  em: EntityManager,
  id: string,
  from: string | null,
  to: string,
  acknowledged: boolean,
): Promise<boolean> {
  const rows = await em.getConnection().execute<{ id: string }[]>(
    `update webhooks set cursor = ?,
            ${acknowledged ? 'echecs = 0, en_echec_depuis = null, dernier_acquittement = now(),' : ''}
            updated_at = now()
      where id = ?::uuid and cursor is not distinct from ?
      returning id`,
    [to, id, from],
  );
  return rows.length > 0;
}

/** A failed attempt: the run of failures grows; when it began (the platform's clock). */
export async function recordFailure(em: EntityManager, id: string, at: Date): Promise<void> {
  await em
    .getConnection()
    .execute(
      'update webhooks set echecs = echecs + 1, en_echec_depuis = coalesce(en_echec_depuis, ?), updated_at = now() where id = ?::uuid',
      [at, id],
    );
}

/** Turned off by the platform after failing for the whole retry window. */
export async function deactivateWebhook(em: EntityManager, id: string, motif: string): Promise<void> {
  await em
    .getConnection()
    .execute(
      'update webhooks set actif = false, motif_desactivation = ?, updated_at = now() where id = ?::uuid and actif',
      [motif, id],
    );
}

export interface Delivery {
  at: Date;
  status: number | null;
  durationMs: number;
  items: number;
  error: string | null;
}

/** One attempt, and only the most recent ones kept. */
export async function recordDelivery(em: EntityManager, id: string, d: Delivery): Promise<void> {
  await em.getConnection().execute(
    `with added as (
       insert into webhook_deliveries (webhook_id, at, status, duration_ms, items, error)
       values (?::uuid, ?, ?, ?, ?, ?) returning id
     )
     delete from webhook_deliveries
      where webhook_id = ?::uuid
        and id <= (select id from webhook_deliveries where webhook_id = ?::uuid order by id desc offset ? limit 1)`,
    [id, d.at, d.status, d.durationMs, d.items, d.error?.slice(0, 500) ?? null, id, id, KEPT_DELIVERIES - 1],
  );
}

/** The recent attempts, newest first. */
export async function listDeliveries(em: EntityManager, id: string): Promise<Delivery[]> {
  const rows = await em.getConnection().execute<
    {
      at: Date;
      status: number | null;
      duration_ms: number;
      items: number;
      error: string | null;
    }[]
  >('select at, status, duration_ms, items, error from webhook_deliveries where webhook_id = ?::uuid order by id desc limit ?', [id, KEPT_DELIVERIES]);
  return rows.map((r) => ({
    at: r.at,
    status: r.status,
    durationMs: r.duration_ms,
    items: r.items,
    error: r.error,
  }));
}

/** The feed's latest row id: a cheap look whether anything was written since. */
export async function latestChangeId(em: EntityManager): Promise<string> {
  const [row] = await em
    .getConnection()
    .execute<{ id: string | null }[]>('select max(id)::text as id from changes');
  return row?.id ?? '0';
}

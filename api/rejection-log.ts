import type { MiddlewareHandler } from 'hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import { recordRejection } from '../db/rejections';
import { ErrorCode } from '../domain/codes';
import { CepEvent } from '../domain/cep-schemas';
import { EventType } from '../domain/schemas';
import type { Logger } from '../infra/logger';
import type { AppEnv } from './app-env';
import type { Metrics } from './metrics';

const REFUSAL_STATUSES = new Set([400, 403, 409, 413]);

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Each family's events: how the metric names them, which id the path holds, which types exist. */
const FAMILIES = {
  dossier: { creation: 'creation', event: 'event', param: 'dossierId', types: EventType.options },
  cep: {
    creation: 'cep_opening',
    event: 'cep_event',
    param: 'periodeId',
    types: CepEvent.options.map((o) => o.shape.type.value),
  },
} as const;

/**
 * The data-quality log: every refused partner event (creations included) is recorded with its
 * reason, no personal data; and every event is counted in `agora_events_total`.
 */
export function rejectionLog(deps: {
  orm: MikroORM;
  metrics: Metrics;
  logger: Logger;
  family: keyof typeof FAMILIES;
}): MiddlewareHandler<AppEnv> {
  const { orm, metrics, logger } = deps;
  const family = FAMILIES[deps.family];
  const types: readonly string[] = family.types;
  return async (c, next) => {
    await next();
    if (c.req.method !== 'POST' || c.req.path.endsWith('/search')) return;
    const creation = !c.req.path.endsWith('/events');
    const kind = creation ? family.creation : family.event;
    const refused = REFUSAL_STATUSES.has(c.res.status);
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const error =
      c.res.status >= 400
        ? (
            (await c.res
              .clone()
              .json()
              .catch(() => null)) as { error?: { code?: string; message?: string } } | null
          )?.error
        : undefined;
    // Labels stay bounded: a type or code outside the contract's lists is counted as OTHER.
    const rawType = creation ? 'CREATION' : body?.type;
    const type = rawType === 'CREATION' || types.includes(rawType as string) ? String(rawType) : 'OTHER';
    const code =
      error?.code && ErrorCode.safeParse(error.code).success ? error.code : c.res.status < 300 ? '' : 'OTHER';
    metrics.inc('agora_events_total', {
      kind,
      type,
      result: refused ? 'refused' : c.res.status < 300 ? 'accepted' : 'error',
      code,
      status: String(c.res.status),
    });
    const actor = c.get('actor');
    if (!refused || !actor || actor.admin) return;
    try {
      // Cut to the log's columns: an id or a type too long is itself a reason for refusal.
      const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : null);
      // An event's id is in its path (/…/{id}/events), a creation's in its body.
      const id = creation ? body?.[family.param] : safeDecode(c.req.path.split('/').at(-2) ?? '');
      await recordRejection(orm.em.fork(), {
        partnerSiret: actor.siret,
        dossierId: deps.family === 'dossier' ? str(id, 64) : null,
        periodeId: deps.family === 'cep' ? str(id, 128) : null,
        eventId: str(body?.eventId, 128),
        eventType: creation ? 'CREATION' : str(body?.type, 32),
        code: error?.code ?? 'UNKNOWN',
        message: (error?.message ?? '').slice(0, 2000),
      });
    } catch (err) {
      logger.warn({ err }, 'could not record a rejection');
    }
  };
}

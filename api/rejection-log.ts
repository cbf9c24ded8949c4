import type { MiddlewareHandler } from 'hono';
import type { MikroORM } from '@mikro-orm/postgresql';
import { recordRejection } from '../db/rejections';
import { ErrorCode } from '../domain/codes';
import { EventType } from '../domain/schemas';
import type { Logger } from '../infra/logger';
import type { AppEnv } from './app-env';
import type { Metrics } from './metrics';

const REFUSAL_STATUSES = new Set([400, 403, 409, 413]);

/**
 * The data-quality log: every refused partner event (creations included) is recorded with its
 * reason, no personal data; and every event is counted in `agora_events_total`.
 */
export function rejectionLog(deps: {
  orm: MikroORM;
  metrics: Metrics;
  logger: Logger;
}): MiddlewareHandler<AppEnv> {
  const { orm, metrics, logger } = deps;
  return async (c, next) => {
    await next();
    if (c.req.method !== 'POST') return;
    const kind = c.req.path.endsWith('/events') ? 'event' : 'creation';
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
    const rawType = kind === 'creation' ? 'CREATION' : body?.type;
    const type = rawType === 'CREATION' || EventType.safeParse(rawType).success ? String(rawType) : 'OTHER';
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
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : null);
      await recordRejection(orm.em.fork(), {
        partnerSiret: actor.siret,
        dossierId: str(c.req.param('dossierId')) ?? str(body?.dossierId),
        eventId: str(body?.eventId),
        eventType: kind === 'creation' ? 'CREATION' : str(body?.type),
        code: error?.code ?? 'UNKNOWN',
        message: (error?.message ?? '').slice(0, 2000),
      });
    } catch (err) {
      logger.warn({ err }, 'could not record a rejection');
    }
  };
}

import type { MikroORM } from '@mikro-orm/postgresql';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * The embedded OpenID provider's storage (sessions, interactions, codes, grants, tokens) in
 * PostgreSQL, so that every API instance serves the same sign-ins. Expired rows are skipped on
 * read and deleted as new ones are written.
 */
export function oidcAdapter(orm: MikroORM): (model: string) => Adapter {
  let lastPurge = 0;
  return (model: string): Adapter => {
    const conn = () => orm.em.fork().getConnection();
    const live = 'and (expires_at is null or expires_at > now())';
    const one = async (where: string, value: string): Promise<AdapterPayload | undefined> => {
      const rows = await conn().execute<{ payload: AdapterPayload; consumed: boolean }[]>(
        `select payload, consumed_at is not null as consumed from oidc_payloads
          where model = ? and ${where} = ? ${live}`,
        [model, value],
      );
      const r = rows[0];
      if (!r) return undefined;
      return r.consumed ? { ...r.payload, consumed: true } : r.payload;
    };
    return {
      async upsert(id, payload, expiresIn) {
        const c = conn();
        if (Date.now() - lastPurge > 60_000) {
          lastPurge = Date.now();
          await c.execute('delete from oidc_payloads where expires_at < now()');
        }
        await c.execute(
          `insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
           values (?, ?, ?::jsonb, ?, ?, ?, ?)
           on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
             uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
          [
            model,
            id,
            JSON.stringify(payload),
            payload.grantId ?? null,
            payload.uid ?? null,
            payload.userCode ?? null,
            expiresIn ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
          ],
        );
      },
      find: (id) => one('id', id),
      findByUid: (uid) => one('uid', uid),
      findByUserCode: (code) => one('user_code', code),
      async consume(id) {
        await conn().execute('update oidc_payloads set consumed_at = now() where model = ? and id = ?', [
          model,
          id,
        ]);
      },
      async destroy(id) {
        await conn().execute('delete from oidc_payloads where model = ? and id = ?', [model, id]);
      },
      async revokeByGrantId(grantId) {
        await conn().execute('delete from oidc_payloads where grant_id = ?', [grantId]);
      },
    };
  };
}

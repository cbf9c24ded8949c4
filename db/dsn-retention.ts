import pg from 'pg';

/**
 * Drop the DSN months that no dossier can use any more: older than 24 months, and every dossier
 * that looked them up is past its horizon (exit, or closure without exit, + 24 months). A month
 * that a dossier not yet projected used is kept until its projection exists. The same for the
 * CEP periods' follow-ups (closure + 24 months).
 */
export async function purgeDsnMonths(databaseUrl: string, today: Date = new Date()): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const day = today.toISOString().slice(0, 10);
  try {
    const { rows } = await client.query<{ mois: string; partition_name: string }>(
      `select m.mois, m.partition_name from dsn_months m
        where m.mois < to_char($1::date - interval '24 months', 'YYYY-MM')
          and not exists (
            select 1 from dossier_dsn_months d left join dossiers r on r.dossier_id = d.dossier_id
             where d.mois = m.mois
               and (r.dossier_id is null
                    or coalesce(r.data->'dates'->>'sortie', r.data->'dates'->>'cloture') is null
                    or (coalesce(r.data->'dates'->>'sortie', r.data->'dates'->>'cloture'))::date
                         + interval '24 months' >= $1::date))
          and not exists (
            select 1 from cep_dsn_months c left join cep_periodes p on p.periode_id = c.periode_id
             where c.mois = m.mois
               and (p.periode_id is null or p.closed_on is null
                    or p.closed_on + interval '24 months' >= $1::date))
        order by m.mois`,
      [day],
    );
    const purged: string[] = [];
    for (const r of rows) {
      // Same lock as an import of the month: never drop a month while it is being loaded.
      await client.query('select pg_advisory_lock(hashtext($1))', [`dsn-import:${r.mois}`]);
      try {
        await client.query('begin');
        await client.query(`alter table dsn_lines detach partition ${r.partition_name}`);
        await client.query(`drop table ${r.partition_name}`);
        await client.query('delete from dsn_months where mois = $1', [r.mois]);
        await client.query('delete from dossier_dsn_months where mois = $1', [r.mois]);
        await client.query('delete from cep_dsn_months where mois = $1', [r.mois]);
        await client.query('commit');
        purged.push(r.mois);
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        await client.query('select pg_advisory_unlock(hashtext($1))', [`dsn-import:${r.mois}`]);
      }
    }
    return purged;
  } finally {
    await client.end();
  }
}

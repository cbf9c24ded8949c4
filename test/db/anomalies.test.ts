import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ANOMALY_RULES, findAnomalies, listAnomalies, saveAnomalies } from '../../db/anomalies';
import { openOrm } from '../../db/orm';
import { siret } from '../helpers/fixtures';
import { ADMIN_TOKEN, apiOnly } from '../helpers/stack';

/**
 * The daily anomaly report on synthetic patterns: partners that declare whole lives in minutes,
 * push dates into the past, or search NIRs that lead nowhere stand out; a partner that does a
 * little of each does not.
 */
let orm: MikroORM;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => orm?.close());

// A day of its own, far from every other test's data.
const day = `2031-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
const at = (time: string) => `${day}T${time}:00.000Z`;
const stamp = String(Date.now()).slice(-9);
const partnerSiret = (d: string) => siret(`7${d}${stamp}00`);
const [lives, dates, searcher, quiet] = [
  partnerSiret('1'),
  partnerSiret('2'),
  partnerSiret('3'),
  partnerSiret('4'),
];

async function event(
  dossierId: string,
  seq: number,
  type: string,
  source: string,
  receivedAt: string,
  extra = {},
) {
  const entry = { seq, eventId: randomUUID(), type, date: day, receivedAt, source, ...extra };
  await orm.em.getConnection().execute(
    `insert into dossier_events (dossier_id, seq, event_id, body_hash, type, source, received_at, entry)
       values (?, ?, ?, 'h', ?, ?, ?, ?::jsonb)`,
    [dossierId, seq, entry.eventId, type, source, receivedAt, JSON.stringify(entry)],
  );
}

/** A dossier created by `who` at `from`, ended (`end`) `minutes` later. */
async function life(who: string, from: string, end: 'SORTIE' | 'ANNULATION', minutes: number) {
  const id = `ANOM-${randomUUID().slice(0, 8)}`;
  await event(id, 1, 'CREATION', who, at(from));
  const ended = new Date(Date.parse(at(from)) + minutes * 60_000).toISOString();
  await event(id, 2, end, who, ended);
}

describe('the anomaly report', () => {
  it('names the partners at or over a threshold, rule by rule, and no one else', async () => {
    for (let i = 0; i < 3; i++) await life(lives, `10:0${i}`, 'SORTIE', 5);
    for (let i = 0; i < 2; i++) await life(lives, `11:0${i}`, 'ANNULATION', 120);
    for (let i = 0; i < 5; i++) {
      await event(`ANOM-D-${stamp}-${i}`, 3, 'RECTIFICATION', dates, at(`12:0${i}`), {
        before: { dates: { entree: `${day.slice(0, 4)}-05-01` } },
        after: { dates: { entree: `${Number(day.slice(0, 4)) - 2}-05-01` } },
      });
    }
    const audit = (who: string, results: number, time: string) =>
      orm.em
        .getConnection()
        .execute(
          `insert into access_audit (actor, actor_siret, action, dossier_id, detail, at) values ('p', ?, 'NIR_SEARCH', null, ?::jsonb, ?)`,
          [who, JSON.stringify({ results }), at(time)],
        );
    for (let i = 0; i < 10; i++) await audit(searcher, 0, `13:0${i}`);
    // A little of everything, under every threshold.
    for (let i = 0; i < 2; i++) await life(quiet, `14:0${i}`, 'SORTIE', 3);
    for (let i = 0; i < 9; i++) await audit(quiet, 0, `15:0${i}`);
    await audit(quiet, 2, '15:30');

    const found = (await findAnomalies(orm.em.fork(), day)).filter((a) =>
      [lives, dates, searcher, quiet].includes(a.partnerSiret),
    );
    expect(found.map((a) => [a.partnerSiret, a.rule, a.count])).toEqual(
      [
        [lives, 'LIFECYCLE_MINUTES', 3],
        [lives, 'SHORT_LIVED', 5],
        [dates, 'DATES_INTO_PAST', 5],
        [searcher, 'NIR_SEARCH_EMPTY', 10],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1]))),
    );
    expect(found.every((a) => a.threshold === ANOMALY_RULES[a.rule].threshold)).toBe(true);

    // Kept for the admin: the API lists it (and a run again replaces the day's report).
    await saveAnomalies(orm.em.fork(), day, found);
    await saveAnomalies(orm.em.fork(), day, found);
    expect((await listAnomalies(orm.em.fork(), day)).filter((a) => a.day === day)).toHaveLength(4);
    const api = await apiOnly({ temporalAddress: '127.0.0.1:1' });
    try {
      const res = await api.app.request(`/v1/admin/anomalies?since=${day}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        items: { partnerSiret: string; rule: string; description: string }[];
      };
      expect(body.items.filter((a) => a.partnerSiret === searcher)).toEqual([
        expect.objectContaining({
          rule: 'NIR_SEARCH_EMPTY',
          description: ANOMALY_RULES.NIR_SEARCH_EMPTY.description,
        }),
      ]);
    } finally {
      await api.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTNERS, demoData, loadDemo } from '../../cli/demo';
import { parseDsnLine } from '../../domain/dsn-line';
import { DSN_FIELDS } from '../../domain/dsn-line';
import { CreateDossierBody, DossierEvent } from '../../domain/schemas';
import { CepEvent, OpenPeriodBody } from '../../domain/cep-schemas';
import { ResultatBody } from '../../domain/certification-schemas';
import { addMonths } from '../../domain/dates';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, listen, startStack } from '../helpers/stack';

describe('the demo data set', () => {
  it('is made of valid dossiers, events and DSN lines, at every stage of life, the same on every run', () => {
    const data = demoData(400, '2026-11-29');
    expect(demoData(400, '2026-11-29')).toEqual(data);
    for (const d of data.dossiers) {
      expect(CreateDossierBody.safeParse(d.body).success, d.id).toBe(true);
      for (const e of d.events)
        expect(DossierEvent.safeParse(e.event).success, `${d.id} ${String(e.event.type)}`).toBe(true);
    }
    const types = new Set(data.dossiers.flatMap((d) => d.events.map((e) => e.event.type)));
    expect([...types].sort()).toEqual(
      [
        'ANNULATION',
        'CLOTURE',
        'ENTREE',
        'INTERRUPTION',
        'RECTIFICATION',
        'REMUNERATION_DEBUT',
        'REMUNERATION_PAIEMENT',
        'REPRISE',
        'SORTIE',
        'VALIDATION',
      ].sort(),
    );
    for (const lines of data.dsn.values()) {
      for (const l of lines) {
        const record = Object.fromEntries(DSN_FIELDS.map((f, i) => [f, l.split(',')[i]]));
        expect(parseDsnLine(record)).toMatchObject({ ok: true });
      }
    }
    expect(new Set(DEMO_PARTNERS.map((p) => p.siret)).size).toBe(DEMO_PARTNERS.length);
    // Certification results, by dossierId and by NIR, each valid and for a dossier of the set.
    expect(data.results.length).toBeGreaterThan(20);
    const ids = new Set(data.dossiers.map((d) => d.id));
    for (const r of data.results) {
      expect(ResultatBody.safeParse(r.body).success, String(r.body.resultatId)).toBe(true);
      const t = r.body.titulaire as { dossierId?: string };
      if (t.dossierId) expect(ids.has(t.dossierId)).toBe(true);
    }
    expect(data.results.some((r) => 'nir' in (r.body.titulaire as object))).toBe(true);
    expect(data.dossiers.filter((d) => d.body.remunerateurSiret).length).toBeGreaterThan(50);
  });

  it('has CEP periods at every stage, some continuing each other, some leading to dossiers', () => {
    const data = demoData(400, '2026-11-29');
    const periods = data.periods.flat();
    for (const p of periods) {
      expect(OpenPeriodBody.safeParse(p.body).success, p.id).toBe(true);
      for (const e of p.events) expect(CepEvent.safeParse(e).success, `${p.id} ${String(e.type)}`).toBe(true);
      // Every event within six months of the one before: none is refused for a silent period.
      const dates = [String(p.body.date), ...p.events.map((e) => String(e.date))].sort();
      expect(dates.at(-1)! <= addMonths(dates[0]!, 6), p.id).toBe(true);
    }
    const types = new Set(periods.flatMap((p) => p.events.map((e) => e.type)));
    expect([...types].sort()).toEqual(['ACCOMPAGNEMENT', 'CLOTURE', 'PRESCRIPTION', 'SERVICE']);
    const [first, continuing] = data.periods;
    expect(continuing.length).toBeGreaterThan(0);
    const firstIds = new Set(first.map((p) => p.id));
    for (const p of continuing) expect(firstIds.has(String(p.body.periodePrecedente))).toBe(true);
    const open = periods.filter((p) => !p.events.some((e) => e.type === 'CLOTURE'));
    expect(open.length).toBeGreaterThan(0);
    // The dossiers naming a prescription name one their trainee's period made.
    const prescribed = data.dossiers.filter((d) => d.body.prescription);
    expect(prescribed.length).toBeGreaterThan(40);
    for (const d of prescribed) {
      const { periodeId, prescriptionId } = d.body.prescription as {
        periodeId: string;
        prescriptionId: string;
      };
      const p = periods.find((x) => x.id === periodeId)!;
      expect(p.events.some((e) => e.prescriptionId === prescriptionId)).toBe(true);
      expect((p.body.beneficiaire as { nir: string }).nir).toBe((d.body.stagiaire as { nir: string }).nir);
    }
  });
});

describe('loading the demo through the API', () => {
  let stack: Stack;
  let server: Awaited<ReturnType<typeof listen>>;
  let base = '';
  beforeAll(async () => {
    stack = await startStack();
    server = await listen(stack.app);
    base = server.url;
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  it('creates partners and dossiers once: a second run changes nothing', async () => {
    // DSN months are global: this test leaves them alone (the other tests load their own).
    const first = await loadDemo({ base, adminToken: ADMIN_TOKEN, count: 40, dsn: false });
    expect(first.dossiers).toBeGreaterThan(30);
    // The events each dossier took (a month another test loads may still move its situations:
    // those are the platform's own changes, not events).
    const events = async (id: string) =>
      (await stack.call('GET', `/v1/dossiers/${id}/history`, ADMIN_TOKEN)).body.events.length as number;
    const counts = new Map<string, number>();
    for (const d of demoData(40).dossiers) counts.set(d.id, await events(d.id));
    const periods = demoData(40).periods.flat();
    expect(first.periods).toBe(periods.length);
    const periodEvents = async (id: string) =>
      (await stack.call('GET', `/v1/cep/periodes/${id}/history`, ADMIN_TOKEN)).body.events.length as number;
    const periodCounts = new Map<string, number>();
    for (const p of periods) periodCounts.set(p.id, await periodEvents(p.id));
    const again = await loadDemo({ base, adminToken: ADMIN_TOKEN, count: 40, dsn: false });
    expect(again.dossiers).toBe(first.dossiers);
    // The demo agents: the same accounts, a new password each run (the old one no longer works).
    expect(Object.keys(again.agents)).toEqual(['france-travail', 'region-84', 'ml-lyon']);
    for (const [key, a] of Object.entries(again.agents)) {
      expect(a.email).toBe(first.agents[key]!.email);
      expect(a.motDePasse).not.toBe(first.agents[key]!.motDePasse);
    }
    const agents = await stack.call('GET', '/v1/admin/agents', ADMIN_TOKEN);
    expect(
      agents.body.items.filter((x: { email: string }) => x.email === again.agents['france-travail']!.email),
    ).toHaveLength(1);
    for (const p of periods) expect(await periodEvents(p.id), p.id).toBe(periodCounts.get(p.id));
    // Every event of a period was taken: its opening and each event, once.
    for (const p of periods) expect(periodCounts.get(p.id), p.id).toBe(p.events.length + 1);
    for (const [id, count] of counts) expect(await events(id), id).toBe(count);
    const partners = await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN);
    for (const p of DEMO_PARTNERS) {
      expect(partners.body.items.filter((x: { siret: string }) => x.siret === p.siret)).toHaveLength(1);
    }
  }, 120_000);
});

import { nirKey } from '../domain/nir';
import { completeSiret } from '../domain/siret';

/**
 * A realistic demo data set, loaded through the public API as partners would send it: a few
 * financeurs and training organisations, dossiers across regions and dispositifs at every stage
 * of their life (interruptions, corrections, cancellations, co-financing), and the DSN months that
 * give the trainees' situations. Deterministic (seeded), and idempotent: event ids are fixed, so a
 * second run changes nothing.
 */

/** A small seeded PRNG (mulberry32): the same data set on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (s: string, n: number) => iso(new Date(Date.parse(`${s}T00:00:00Z`) + n * 86_400_000));
const addMonths = (s: string, n: number) => {
  const d = new Date(`${s}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return iso(d);
};
const month = (s: string) => s.slice(0, 7);

interface DemoPartner {
  key: string;
  siret: string;
  name: string;
  kind: string;
  region?: string;
  /** A CEP operator's network. */
  reseau?: string;
}

const FRANCE_TRAVAIL_SIRET = completeSiret('1300046000001');

const REGIONS = [
  ['84', 'Auvergne-Rhône-Alpes', ['69', '38', '42']],
  ['11', 'Île-de-France', ['75', '93', '92']],
  ['93', "Provence-Alpes-Côte d'Azur", ['13', '06', '83']],
  ['76', 'Occitanie', ['31', '34', '30']],
  ['32', 'Hauts-de-France', ['59', '62', '80']],
  ['53', 'Bretagne', ['35', '29', '56']],
] as const;

export const DEMO_PARTNERS: DemoPartner[] = [
  ...REGIONS.map(([code, name], i) => ({
    key: `region-${code}`,
    siret: completeSiret(`2${code}0000${pad(i + 1, 2)}0001`.slice(0, 13)),
    name: `Région ${name}`,
    kind: 'REGION',
    region: code,
  })),
  {
    key: 'france-travail',
    siret: completeSiret('1300046000001'),
    name: 'France Travail',
    kind: 'FRANCE_TRAVAIL',
  },
  { key: 'opco', siret: completeSiret('8513100000001'), name: 'OPCO Atlas', kind: 'OPCO' },
  {
    key: 'asp',
    siret: completeSiret('1800431500001'),
    name: 'Agence de services et de paiement',
    kind: 'REMUNERATEUR',
  },
  {
    // The certifier test/fixtures' referential lists for the titres professionnels.
    key: 'ministere-travail',
    siret: '13000000000013',
    name: 'Ministère du Travail (titres professionnels)',
    kind: 'CERTIFICATEUR',
  },
  {
    key: 'education-nationale',
    siret: '11000009000016',
    name: 'Éducation nationale (CAP)',
    kind: 'CERTIFICATEUR',
  },
  {
    key: 'ml-lyon',
    siret: completeSiret('7690000100001'),
    name: 'Mission locale de Lyon',
    kind: 'CEP_OPERATEUR',
    reseau: 'MISSION_LOCALE',
  },
  { key: 'apec', siret: completeSiret('7840000200001'), name: 'Apec', kind: 'CEP_OPERATEUR', reseau: 'APEC' },
  {
    key: 'cap-emploi',
    siret: completeSiret('7110000300001'),
    name: 'Cap emploi Île-de-France',
    kind: 'CEP_OPERATEUR',
    reseau: 'CAP_EMPLOI',
  },
  ...Array.from({ length: 8 }, (_, i) => ({
    key: `of-${i}`,
    siret: completeSiret(`4${pad(i + 10, 2)}1234500001`.slice(0, 13)),
    name: ['AFPA', 'GRETA', 'CNAM', 'Campus Numérique', 'IFPA', 'CFA Métiers', 'Simplon', 'AFPI'][i]!,
    kind: 'ORGANISME_FORMATION',
  })),
];

/** dispositif, objectif, intitulé, NSF, and the certification a certifying action aims at. */
const ACTIONS = [
  ['PRF', 'CERTIFIANTE', 'Titre professionnel Développeur web et web mobile', '326', 'RNCP37674'],
  ['PRF', 'CERTIFIANTE', 'Titre professionnel Secrétaire assistant', '324', 'RNCP36804'],
  ['PRF', 'PROFESSIONNALISANTE', 'Préparation aux métiers de la logistique', '311', null],
  ['AIF', 'CERTIFIANTE', 'CAP Accompagnant éducatif petite enfance', '332', 'RNCP38565'],
  ['AIF', 'PROFESSIONNALISANTE', 'Habilitation électrique et CACES', '255', null],
  ['CPF', 'CERTIFIANTE', 'Titre professionnel Comptable assistant', '314', 'RNCP37829'],
  ['POEI', 'PROFESSIONNALISANTE', 'Préparation opérationnelle à l’emploi : soudeur', '254', null],
  ['PIC', 'PRE_QUALIFIANTE', 'Remise à niveau et projet professionnel', '415', null],
] as const;
/** Who certifies each certification of the demo. */
const CERTIFIERS: Record<string, string> = {
  RNCP37674: 'ministere-travail',
  RNCP36804: 'ministere-travail',
  RNCP37829: 'ministere-travail',
  RNCP38565: 'education-nationale',
};
const NAMES = [
  'Martin',
  'Bernard',
  'Thomas',
  'Petit',
  'Robert',
  'Richard',
  'Durand',
  'Dubois',
  'Moreau',
  'Laurent',
];
const FIRST = [
  'Léa',
  'Hugo',
  'Chloé',
  'Lucas',
  'Manon',
  'Nathan',
  'Inès',
  'Yanis',
  'Sarah',
  'Karim',
  'Emma',
  'Adam',
];
const EMPLOYERS = Array.from({ length: 40 }, (_, i) => completeSiret(`5${pad(i, 4)}67800001`.slice(0, 13)));
const NAF = ['6201Z', '4711D', '8810A', '5610A', '4941A', '8559A', '2511Z', '7022Z'];

/** The CEP operators of the demo, and the region each works in (null: any). */
const CEP_OPERATORS = [
  ['ml-lyon', '84'],
  ['apec', null],
  ['cap-emploi', '11'],
  ['france-travail', null],
] as const;
const CEP_OBJECTIFS = ['RECONVERSION', 'INSERTION', 'COMPETENCES', 'CERTIFICATION', 'EVOLUTION'] as const;

/** A CEP period of the demo, with its events (all within six months of each other: none is lost). */
export interface DemoPeriod {
  id: string;
  operator: string;
  body: Record<string, unknown>;
  events: Record<string, unknown>[];
}

/** The data set: partners, dossiers with their events, CEP periods, and DSN lines per month. */
export function demoData(count: number, today = new Date().toISOString().slice(0, 10)) {
  const rnd = prng(20261129);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const partner = (key: string) => DEMO_PARTNERS.find((p) => p.key === key)!;
  /** Periods first, then those continuing them (each opened once the one it continues exists). */
  const periods: DemoPeriod[] = [];
  const continuing: DemoPeriod[] = [];
  /**
   * A period of guidance for a person from `opened`: services, maybe an accompaniment, maybe a
   * prescription (`prescribe` dated), a closure by `closeOn` when given and past.
   */
  const period = (p: {
    id: string;
    operator: string;
    region: string;
    departement: string;
    person: Record<string, unknown>;
    opened: string;
    accompany: boolean;
    prescribe?: { id: string; date: string; intitule: string; dispositif: string };
    closeOn?: { date: string; motif: string };
    previous?: string;
  }): DemoPeriod => {
    const events: Record<string, unknown>[] = [];
    const ev = (type: string, date: string, extra: Record<string, unknown>) =>
      date <= today && events.push({ eventId: `demo-${p.id}-${events.length}`, type, date, ...extra });
    ev('SERVICE', p.opened, { service: 'ENTRETIEN', modalite: 'PRESENTIEL' });
    if (p.accompany) ev('ACCOMPAGNEMENT', addDays(p.opened, 7), { objectif: pick(CEP_OBJECTIFS) });
    for (let k = 0; k < Math.floor(rnd() * 4); k++) {
      ev('SERVICE', addDays(p.opened, 10 + 12 * k), {
        service: pick(['ATELIER', 'PRESTATION', 'BILAN', 'ENTRETIEN'] as const),
        modalite: rnd() < 0.3 ? 'DISTANCE' : 'PRESENTIEL',
      });
    }
    if (p.prescribe) {
      const { id, date, intitule, dispositif } = p.prescribe;
      ev('PRESCRIPTION', date, { prescriptionId: id, intitule, dispositif });
    }
    if (p.closeOn) ev('CLOTURE', p.closeOn.date, { motif: p.closeOn.motif });
    return {
      id: p.id,
      operator: p.operator,
      body: {
        eventId: `demo-${p.id}-ouverture`,
        periodeId: p.id,
        date: p.opened,
        beneficiaire: p.person,
        situation: pick([
          'DEMANDEUR_EMPLOI',
          'DEMANDEUR_EMPLOI',
          'ACTIF_OCCUPE',
          'JEUNE_NON_INSERE',
        ] as const),
        region: p.region,
        departement: p.departement,
        ...(p.previous ? { periodePrecedente: p.previous } : {}),
      },
      events,
    };
  };
  /** An operator for a region, and the period's region. */
  const operatorFor = (region: string): string => {
    const [key] = pick(CEP_OPERATORS.filter(([, r]) => r === null || r === region));
    return key;
  };
  const dossiers: {
    id: string;
    financeur: string;
    of: string;
    body: Record<string, unknown>;
    events: { from: 'F' | 'OF' | 'R'; event: Record<string, unknown> }[];
  }[] = [];
  /** The certifiers' results, each sent once its dossier exists (by dossierId, or by NIR). */
  const results: { certifier: string; body: Record<string, unknown> }[] = [];
  const dsn = new Map<string, string[]>();
  const line = (m: string, l: string) => dsn.set(m, [...(dsn.get(m) ?? []), l]);
  for (let i = 0; i < count; i++) {
    const [region, , depts] = pick(REGIONS);
    const [dispositif, objectif, intitule, nsf, certification] = pick(ACTIONS);
    const financeur =
      dispositif === 'AIF'
        ? 'france-travail'
        : dispositif === 'POEI' || dispositif === 'CPF'
          ? 'opco'
          : `region-${region}`;
    const of = `of-${Math.floor(rnd() * 8)}`;
    const id = `DEMO-R${region}-${pad(i + 1, 6)}`;
    const born = 1970 + Math.floor(rnd() * 35);
    const n13 = `${rnd() < 0.5 ? 1 : 2}${pad(born % 100)}${pad(1 + Math.floor(rnd() * 12))}${pick(depts)}${pad(Math.floor(rnd() * 999), 3)}${pad(i % 1000, 3)}`;
    const nir = `${n13}${pad(nirKey(n13))}`;
    const created = addDays('2023-06-01', Math.floor(rnd() * 1000));
    if (created > addDays(today, -20)) continue;
    const start = addDays(created, 20 + Math.floor(rnd() * 40));
    const end = addMonths(start, 3 + Math.floor(rnd() * 8));
    const cofinanced = rnd() < 0.15 && financeur.startsWith('region');
    const person = {
      nir,
      nom: pick(NAMES),
      prenom: pick(FIRST),
      dateNaissance: `${born}-${pad(1 + Math.floor(rnd() * 12))}-${pad(1 + Math.floor(rnd() * 28))}`,
    };
    // Half the trainees of the Regions and France Travail are paid: AREF by France Travail, else
    // the Region's pay through the ASP.
    const paid = financeur !== 'opco' && rnd() < 0.5;
    const aref = paid && rnd() < 0.4;
    const paidBy = aref ? 'france-travail' : 'asp';
    // One dossier in five comes from a CEP prescription: the period opened a month or two before.
    const prescribed = rnd() < 0.2 && created >= '2023-08-15';
    if (prescribed) {
      const opened = addDays(created, -30 - Math.floor(rnd() * 30));
      const operator = operatorFor(region);
      periods.push(
        period({
          id: `DEMO-CEP-${pad(periods.length + continuing.length + 1, 6)}`,
          operator,
          region,
          departement: pick(depts),
          person,
          opened,
          accompany: true,
          prescribe: { id: `P-${id}`, date: addDays(created, -5), intitule, dispositif },
          closeOn: { date: addDays(created, 10), motif: 'ENTREE_FORMATION' },
        }),
      );
    }
    const body = {
      eventId: `demo-${id}-creation`,
      dossierId: id,
      date: created,
      stagiaire: person,
      organisme: { siret: partner(of).siret, raisonSociale: partner(of).name },
      action: {
        intitule,
        dispositif,
        objectif,
        nsf,
        ...(certification ? { certification } : {}),
        region,
        departement: pick(depts),
        qpv: rnd() < 0.2,
        dateDebutPrevue: start,
        dateFinPrevue: end,
        dureeHeures: 100 * (3 + Math.floor(rnd() * 10)),
      },
      financements: [
        { financeurSiret: partner(financeur).siret, montantEngage: 1000 * (2 + Math.floor(rnd() * 8)) },
        ...(cofinanced ? [{ financeurSiret: partner('france-travail').siret, montantEngage: 1500 }] : []),
      ],
      ...(prescribed ? { prescription: { periodeId: periods.at(-1)!.id, prescriptionId: `P-${id}` } } : {}),
      // Trainees job-seekers in a Region's or France Travail's training are paid during it.
      ...(paid ? { remunerateurSiret: partner(paidBy).siret } : {}),
    };
    const events: { from: 'F' | 'OF' | 'R'; event: Record<string, unknown> }[] = [];
    const ev = (from: 'F' | 'OF' | 'R', type: string, date: string, extra: Record<string, unknown> = {}) =>
      date <= today &&
      events.push({
        from,
        event: { eventId: `demo-${id}-${type.toLowerCase()}-${events.length}`, type, date, ...extra },
      });
    const fate = rnd();
    if (fate < 0.06) {
      dossiers.push({ id, financeur, of, body, events });
      continue; // still being drafted
    }
    ev('F', 'VALIDATION', addDays(created, 5 + Math.floor(rnd() * 10)));
    if (fate < 0.11) {
      ev('F', 'ANNULATION', addDays(start, -3), { motif: 'Désistement du stagiaire' });
      dossiers.push({ id, financeur, of, body, events });
      continue;
    }
    if (start > today) {
      dossiers.push({ id, financeur, of, body, events });
      continue;
    }
    ev('OF', 'ENTREE', start);
    const abandon = rnd() < 0.15;
    let exit = abandon ? addDays(start, 30 + Math.floor(rnd() * 40)) : end;
    const monthly = aref ? 900 + Math.floor(rnd() * 600) : 685;
    if (paid)
      ev('R', 'REMUNERATION_DEBUT', start, { regime: aref ? 'AREF' : 'RFPE', montantMensuel: monthly });
    if (rnd() < 0.12) {
      const stop = addDays(start, 10 + Math.floor(rnd() * 15));
      ev('OF', 'INTERRUPTION', stop, { motif: 'Raisons de santé' });
      ev('OF', 'REPRISE', addDays(stop, 14));
      exit = addDays(exit, 14);
    }
    // Monthly payments for the months the trainee was in training (and already paid).
    if (paid) {
      for (let m = month(start); m <= month(exit) && m < month(today); m = month(addMonths(`${m}-01`, 1))) {
        ev('R', 'REMUNERATION_PAIEMENT', addDays(`${month(addMonths(`${m}-01`, 1))}-05`, 0), {
          mois: m,
          montant: monthly,
        });
      }
    }
    if (exit > today) {
      dossiers.push({ id, financeur, of, body, events });
      continue;
    }
    ev('OF', 'SORTIE', exit, { motif: abandon ? 'ABANDON' : rnd() < 0.1 ? 'ACCES_EMPLOI' : 'FIN_FORMATION' });
    // Certifiers report the holders only: most who finish obtain it, some by blocks, a few later.
    if (certification && !abandon && rnd() < 0.75) {
      const obtained = addDays(exit, 10 + Math.floor(rnd() * 60));
      const partial = rnd() < 0.2;
      if (obtained <= today) {
        results.push({
          certifier: CERTIFIERS[certification]!,
          body: {
            resultatId: `demo-res-${id}`,
            certification,
            obtention: partial ? 'PARTIELLE' : 'TOTALE',
            blocs: partial ? [`${certification}BC01`] : [],
            dateObtention: obtained,
            modaliteAcces: 'FORMATION_CONTINUE',
            // One in three by the trainee's identity, as certifiers without the dossier's number do.
            titulaire: rnd() < 0.33 ? person : { dossierId: id },
          },
        });
      }
    }
    if (rnd() < 0.1)
      ev('OF', 'RECTIFICATION', addDays(exit, 3), { changes: { dates: { sortie: addDays(exit, -2) } } });
    const exitDate = events.find((e) => e.event.type === 'RECTIFICATION') ? addDays(exit, -2) : exit;
    if (rnd() < 0.7) {
      ev('F', 'CLOTURE', addDays(exit, 20), {
        realisation: abandon ? 'PARTIELLE' : 'TOTALE',
        montantsRealises: body.financements.map((f) => ({
          financeurSiret: f.financeurSiret,
          montant: Math.round(f.montantEngage * (abandon ? 0.4 : 0.95)),
        })),
      });
    }
    dossiers.push({ id, financeur, of, body, events });
    // The trainee's jobs after exit: found sooner or later, of some kind, for some hours.
    const employed = rnd() < (abandon ? 0.35 : 0.6);
    const startJob = addMonths(exitDate, Math.floor(rnd() * 5));
    const nature = pick(['01', '01', '02', '02', '03', '10', '50']);
    const jobEnd = nature === '01' ? '' : addMonths(startJob, 2 + Math.floor(rnd() * 10));
    const employer = pick(EMPLOYERS);
    for (let k = 0; k <= 12; k++) {
      const m = month(addMonths(exitDate, k));
      if (m >= month(today)) break;
      if (employed && m >= month(startJob) && (!jobEnd || m <= month(jobEnd))) {
        line(
          m,
          `${nir},${employer},${pick(NAF)},${nature},${startJob},${jobEnd},${(80 + Math.floor(rnd() * 80)).toFixed(2)}`,
        );
      }
    }
  }
  // Periods of guidance that lead to no dossier here: at every stage, some continued by another
  // operator after a transfer.
  for (let i = 0; i < Math.ceil(count / 5); i++) {
    const [region, , depts] = pick(REGIONS);
    const born = 1975 + Math.floor(rnd() * 30);
    const bornMonth = pad(1 + Math.floor(rnd() * 12));
    const n13 = `${rnd() < 0.5 ? 1 : 2}${pad(born % 100)}${bornMonth}${pick(depts)}${pad(Math.floor(rnd() * 999), 3)}${pad(i % 1000, 3)}`;
    const person = {
      nir: `${n13}${pad(nirKey(n13))}`,
      nom: pick(NAMES),
      prenom: pick(FIRST),
      dateNaissance: `${born}-${bornMonth}-${pad(1 + Math.floor(rnd() * 28))}`,
    };
    // Opened over the last three years; the recent ones are still open.
    const opened = addDays(today, -Math.floor(rnd() * 1000) - 1);
    const recent = opened > addMonths(today, -4);
    const fate = rnd();
    const closeOn =
      recent && fate < 0.7
        ? undefined
        : {
            date: addDays(opened, 30 + Math.floor(rnd() * 120)),
            motif:
              fate < 0.15
                ? 'TRANSFERT'
                : pick(['PROJET_REALISE', 'ACCES_EMPLOI', 'ABANDON', 'AUTRE'] as const),
          };
    const first = period({
      id: `DEMO-CEP-${pad(periods.length + continuing.length + 1, 6)}`,
      operator: operatorFor(region),
      region,
      departement: pick(depts),
      person,
      opened,
      accompany: rnd() < 0.6,
      ...(closeOn ? { closeOn } : {}),
    });
    periods.push(first);
    if (closeOn?.motif === 'TRANSFERT' && addDays(closeOn.date, 1) <= today) {
      const next = addDays(closeOn.date, 1);
      const others = CEP_OPERATORS.filter(([k, r]) => k !== first.operator && (r === null || r === region));
      continuing.push(
        period({
          id: `DEMO-CEP-${pad(periods.length + continuing.length + 1, 6)}`,
          operator: pick(others)[0],
          region,
          departement: pick(depts),
          person,
          opened: next,
          accompany: true,
          ...(next > addMonths(today, -4)
            ? {}
            : { closeOn: { date: addDays(next, 60), motif: 'PROJET_REALISE' } }),
          previous: first.id,
        }),
      );
    }
  }
  // Every month from the first exit to last month is loaded, even with no line: a known "no job".
  const months = new Set(dsn.keys());
  let m = '2023-07';
  while (m < month(today)) {
    months.add(m);
    m = month(addMonths(`${m}-01`, 1));
  }
  return {
    dossiers,
    results,
    periods: [periods, continuing] as const,
    dsn,
    months: [...months].sort(),
  };
}

export interface DemoProgress {
  phase: 'partners' | 'dsn' | 'cep' | 'dossiers' | 'done';
  done: number;
  total: number;
}

/** The partners whose console agents the demo creates (and `npm start -- --demo` prints). */
export const DEMO_AGENT_PARTNERS = ['france-travail', 'region-84', 'ml-lyon'] as const;

/** Load the demo data set through the API at `base` with the admin token. */
export async function loadDemo(opts: {
  base: string;
  adminToken: string;
  count: number;
  concurrency?: number;
  /** Load the DSN months too (default true). */
  dsn?: boolean;
  onProgress?: (p: DemoProgress) => void;
  /** The console agents' logins, as soon as they are made (before the dossiers load). */
  onAgents?: (agents: Record<string, { email: string; motDePasse: string }>) => void;
}): Promise<{
  dossiers: number;
  periods: number;
  events: number;
  months: number;
  partners: Record<string, string>;
  /** The console agents' logins (email, password), by partner key. */
  agents: Record<string, { email: string; motDePasse: string }>;
}> {
  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    type = 'application/json',
  ) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${opts.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      if ((res.status === 429 || res.status === 503) && attempt < 20) {
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        continue;
      }
      return { status: res.status, body: (await res.json().catch(() => null)) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    }
  };
  const progress = opts.onProgress ?? (() => undefined);

  // Partners: created when missing, then a fresh token for each (shown once by the API).
  const tokens: Record<string, string> = {};
  const existing = await call('GET', '/v1/admin/partners', opts.adminToken);
  if (existing.status !== 200) throw new Error(`the API refused the admin token (${existing.status})`);
  for (const [i, p] of DEMO_PARTNERS.entries()) {
    const found = (existing.body.items as { id: string; siret: string }[]).find((x) => x.siret === p.siret);
    if (found) {
      tokens[p.key] = (
        await call('POST', `/v1/admin/partners/${found.id}/tokens`, opts.adminToken)
      ).body.token;
    } else {
      const created = await call('POST', '/v1/admin/partners', opts.adminToken, {
        siret: p.siret,
        name: p.name,
        kind: p.kind,
        ...(p.region ? { region: p.region } : {}),
        ...(p.reseau ? { reseau: p.reseau } : {}),
      });
      if (created.status !== 201) throw new Error(`partner ${p.name}: ${JSON.stringify(created.body)}`);
      tokens[p.key] = created.body.token;
    }
    progress({ phase: 'partners', done: i + 1, total: DEMO_PARTNERS.length });
  }

  // Console agents of the three partners the start banner names: created, or a new password.
  const agents: Record<string, { email: string; motDePasse: string }> = {};
  const known = await call('GET', '/v1/admin/agents', opts.adminToken);
  for (const key of DEMO_AGENT_PARTNERS) {
    const p = DEMO_PARTNERS.find((x) => x.key === key)!;
    const email = `agent.${key}@demo.agora-flow.fr`;
    const found = ((known.body?.items ?? []) as { id: string; email: string }[]).find(
      (a) => a.email === email,
    );
    const res = found
      ? await call('POST', `/v1/admin/agents/${found.id}/mot-de-passe`, opts.adminToken)
      : await call('POST', '/v1/admin/agents', opts.adminToken, {
          email,
          siret: p.siret,
          prenom: 'Agent',
          nom: p.name,
        });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`agent ${email}: ${JSON.stringify(res.body)}`);
    agents[key] = { email, motDePasse: res.body.motDePasse as string };
  }
  opts.onAgents?.(agents);

  const data = demoData(opts.count);
  // DSN months first, so that every point falls on a loaded month as soon as it is due.
  for (const [i, m] of (opts.dsn === false ? [] : data.months).entries()) {
    const lines = [
      'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
      ...(data.dsn.get(m) ?? []),
    ];
    const res = await call(
      'POST',
      `/v1/dsn/imports?mois=${m}`,
      opts.adminToken,
      lines.join('\n'),
      'text/csv',
    );
    if (res.status !== 200) throw new Error(`DSN ${m}: ${JSON.stringify(res.body)}`);
    progress({ phase: 'dsn', done: i + 1, total: data.months.length });
  }

  let events = 0;
  /** Each of `items` by `concurrency` workers. */
  const all = async <T>(items: readonly T[], each: (item: T) => Promise<void>) => {
    const queue = [...items];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await each(item);
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  };
  const ok = (what: string, res: { status: number; body: unknown }) => {
    // 409: already there from an earlier run (ids and eventIds are fixed).
    if (res.status >= 300 && res.status !== 409) throw new Error(`${what}: ${JSON.stringify(res.body)}`);
  };

  // CEP periods before the dossiers that name their prescriptions; continuations after the first.
  const [firstPeriods, continuations] = data.periods;
  const periodCount = firstPeriods.length + continuations.length;
  let periodsDone = 0;
  for (const batch of [firstPeriods, continuations]) {
    await all(batch, async (p) => {
      const token = tokens[p.operator]!;
      ok(p.id, await call('POST', '/v1/cep/periodes', token, p.body));
      for (const e of p.events) {
        ok(`${p.id} ${String(e.type)}`, await call('POST', `/v1/cep/periodes/${p.id}/events`, token, e));
        events++;
      }
      progress({ phase: 'cep', done: ++periodsDone, total: periodCount });
    });
  }

  let done = 0;
  await all(data.dossiers, async (d) => {
    const f = tokens[d.financeur]!;
    ok(d.id, await call('POST', '/v1/dossiers', f, d.body));
    for (const e of d.events) {
      const from =
        e.from === 'F'
          ? f
          : e.from === 'R'
            ? tokens[String(d.body.remunerateurSiret) === FRANCE_TRAVAIL_SIRET ? 'france-travail' : 'asp']!
            : tokens[d.of]!;
      ok(`${d.id} ${String(e.event.type)}`, await call('POST', `/v1/dossiers/${d.id}/events`, from, e.event));
      events++;
    }
    progress({ phase: 'dossiers', done: ++done, total: data.dossiers.length });
  });
  // The certifiers' results, each in one NDJSON batch per certifier, once their dossiers exist.
  for (const certifier of [...new Set(data.results.map((r) => r.certifier))]) {
    const lines = data.results.filter((r) => r.certifier === certifier).map((r) => JSON.stringify(r.body));
    const res = await call(
      'POST',
      '/v1/certifications/resultats',
      tokens[certifier]!,
      lines.join('\n'),
      'application/x-ndjson',
    );
    if (res.status !== 200) throw new Error(`results of ${certifier}: ${JSON.stringify(res.body)}`);
    events += lines.length;
  }
  progress({ phase: 'done', done: data.dossiers.length, total: data.dossiers.length });
  return {
    dossiers: data.dossiers.length,
    periods: periodCount,
    events,
    months: data.months.length,
    partners: tokens,
    agents,
  };
}

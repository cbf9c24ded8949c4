import { randomUUID } from 'node:crypto';
import { nirKey } from '../../domain/nir';
import type { CreateDossierBody } from '../../domain/schemas';
import { OpenPeriodBody } from '../../domain/cep-schemas';

/** A valid SIRET from a 13-digit prefix: the last digit makes the Luhn sum a multiple of 10. */
export function siret(prefix13: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = `${prefix13}${d}`;
    let sum = 0;
    for (let i = 0; i < 14; i++) {
      let v = Number(s[13 - i]);
      if (i % 2 === 1) {
        v *= 2;
        if (v > 9) v -= 9;
      }
      sum += v;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}

export function nir(number13: string): string {
  return `${number13}${String(nirKey(number13)).padStart(2, '0')}`;
}

export const SIRETS = {
  region84: '23840001500018',
  franceTravail: siret('1300046000001'),
  opco: siret('8513100000001'),
  organisme: '12345678200010',
  autreOrganisme: siret('4444444400001'),
};

/** One data key for the whole test run (any 32 bytes). */
export const TEST_DATA_KEY = Buffer.alloc(32, 7).toString('base64');

export const uid = () => randomUUID().slice(0, 8);

export function createBody(overrides: Partial<CreateDossierBody> = {}): CreateDossierBody {
  return {
    eventId: `c-${randomUUID()}`,
    dossierId: `T-${uid()}-${uid()}`,
    date: '2026-01-15',
    stagiaire: { nir: '180057512345627', nom: 'Martin', prenom: 'Lea', dateNaissance: '1980-05-02' },
    organisme: { siret: SIRETS.organisme, raisonSociale: 'Centre Exemple' },
    action: {
      intitule: 'Titre professionnel Developpeur web',
      dispositif: 'PRF',
      objectif: 'CERTIFIANTE',
      certification: 'RNCP37674',
      nsf: '326',
      region: '84',
      departement: '69',
      qpv: false,
      dateDebutPrevue: '2026-02-01',
      dateFinPrevue: '2026-09-30',
      dureeHeures: 800,
    },
    financements: [{ financeurSiret: SIRETS.region84, montantEngage: 6400 }],
    ...overrides,
  };
}

/** A partner event with a fresh eventId. */
export const ev = (type: string, date: string, extra: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  type,
  date,
  ...extra,
});

/** The CEP operator the CEP tests open periods as. */
export const CEP_OPERATOR = {
  admin: false as const,
  partnerId: 'op',
  siret: '12345678900011',
  kind: 'CEP_OPERATEUR' as const,
};

/** A CEP period's opening body (CONTRACT.md, "CEP periods"), valid unless overridden. */
export function openPeriodBody(overrides: Partial<OpenPeriodBody> = {}): OpenPeriodBody {
  return OpenPeriodBody.parse({
    eventId: 'open-1',
    periodeId: 'ML-69-2026-000042',
    date: '2026-03-02',
    beneficiaire: { nir: '269054958815780', nom: 'Martin', prenom: 'Léa', dateNaissance: '2001-06-14' },
    situation: 'DEMANDEUR_EMPLOI',
    region: '84',
    ...overrides,
  });
}

/** Empty the RNCP/RS referential a test loaded (every test file shares the database). */
export async function clearReferentiel(conn: { execute: (sql: string) => Promise<unknown> }) {
  for (const t of [
    'referentiel_fiches',
    'referentiel_blocs',
    'referentiel_certificateurs',
    'referentiel_nsf',
    'referentiel_imports',
  ])
    await conn.execute(`delete from ${t}`);
}

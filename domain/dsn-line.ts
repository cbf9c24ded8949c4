import type { ContractLine } from './best-job';
import { FIRST_OLD_DATE, isDateFrom } from './dates';
import { isValidNir } from './nir';
import { isValidSiret } from './siret';

/** The fields of a DSN extract line (CONTRACT.md), in CSV header order. */
export const DSN_FIELDS = [
  'nir',
  'siret',
  'naf',
  'natureContrat',
  'dateDebutContrat',
  'dateFinContrat',
  'heures',
] as const;

export type DsnLine = ContractLine & { nir: string };

const str = (v: unknown): string | null =>
  typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : null;

/**
 * Check one line of a month's extract. Hand-written rather than a zod schema: it runs a million
 * times per month and must say exactly what is wrong with the line.
 */
export function parseDsnLine(
  record: Record<string, unknown>,
): { ok: true; line: DsnLine } | { ok: false; message: string } {
  // Every field a line lacks, named at once (dateFinContrat may be empty: an open contract).
  const missing = DSN_FIELDS.filter((f) => f !== 'dateFinContrat' && !str(record[f]));
  if (missing.length > 0) return { ok: false, message: `missing ${missing.join(', ')}` };
  const nir = str(record.nir);
  if (!nir || !isValidNir(nir))
    return { ok: false, message: 'nir: invalid NIR (15 characters with a matching key)' };
  const siret = str(record.siret);
  if (!siret || !isValidSiret(siret))
    return { ok: false, message: 'siret: invalid SIRET (14 digits, Luhn check)' };
  const naf = str(record.naf)?.toUpperCase() ?? '';
  if (!/^\d{2}\.?\d{2}[A-Z]$/.test(naf))
    return { ok: false, message: 'naf: expected a NAF code such as 6201Z' };
  const nature = str(record.natureContrat);
  if (!nature || !/^\d{2}$/.test(nature))
    return { ok: false, message: 'natureContrat: expected a 2-digit DSN code' };
  const debut = str(record.dateDebutContrat);
  if (!debut || !isDateFrom(debut, FIRST_OLD_DATE))
    return { ok: false, message: `dateDebutContrat: expected a date YYYY-MM-DD from ${FIRST_OLD_DATE} on` };
  const finRaw =
    record.dateFinContrat === null || record.dateFinContrat === undefined ? '' : str(record.dateFinContrat);
  if (finRaw === null || (finRaw !== '' && !isDateFrom(finRaw, FIRST_OLD_DATE))) {
    return {
      ok: false,
      message: `dateFinContrat: expected a date YYYY-MM-DD from ${FIRST_OLD_DATE} on, or nothing`,
    };
  }
  if (finRaw !== '' && finRaw < debut)
    return { ok: false, message: 'dateFinContrat: before dateDebutContrat' };
  const heuresRaw =
    typeof record.heures === 'number' ? record.heures : Number(str(record.heures)?.replace(',', '.') ?? NaN);
  if (!Number.isFinite(heuresRaw) || heuresRaw < 0 || heuresRaw > 9_999_999) {
    return { ok: false, message: 'heures: expected a number of hours, 0 or more' };
  }
  return {
    ok: true,
    line: {
      nir,
      siret,
      naf: naf.replace('.', ''),
      natureContrat: nature,
      dateDebutContrat: debut,
      dateFinContrat: finRaw === '' ? null : finRaw,
      heures: Math.round(heuresRaw * 100) / 100,
    },
  };
}

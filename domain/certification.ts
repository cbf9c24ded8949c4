import type { CERT_MODALITES_ACCES, CERT_OBTENTIONS, CertStatut } from './code-lists';
import { addMonths } from './dates';

/**
 * Certification results (CONTRACT.md, "Certification results"): how a result finds its dossier,
 * and what the dossier shows (what a certifying body sends: domain/certification-schemas.ts). Pure,
 * and without zod (the workflows use it): the API and the workflow call these rules; nothing here
 * reads or writes.
 */

/** A dossier a result may attach to, as the matching sees it. */
export interface CertCandidate {
  dossierId: string;
  /** The certification its action aims at (`action.certification`), if any. */
  certification: string | null;
  entree: string | null;
  sortie: string | null;
}

/** A result attaches to a dossier whose exit is at most this many months before the obtention. */
export const MATCH_MONTHS_AFTER_EXIT = 12;

/**
 * The dossier a result by NIR attaches to, among that trainee's dossiers: one aiming at that
 * certification, entered on or before the obtention, exited (if it has) at most 12 months before
 * it; of several, the latest entry (then the greatest dossierId, so the answer never depends on
 * the order). Null: none yet, the result waits (NON_RAPPROCHE).
 */
export function matchDossier(
  result: { certification: string; dateObtention: string },
  candidates: readonly CertCandidate[],
): string | null {
  const fits = candidates.filter(
    (d) =>
      d.certification === result.certification &&
      d.entree !== null &&
      d.entree <= result.dateObtention &&
      (d.sortie === null || addMonths(d.sortie, MATCH_MONTHS_AFTER_EXIT) >= result.dateObtention),
  );
  fits.sort((a, b) => b.entree!.localeCompare(a.entree!) || b.dossierId.localeCompare(a.dossierId));
  return fits[0]?.dossierId ?? null;
}

/** After this many months past the exit without a result, a dossier's certification is INCONNUE. */
export const UNKNOWN_AFTER_MONTHS = 12;

/**
 * A dossier's certification status: obtained as its result says; else INCONNUE once 12 months
 * have passed after exit (certifiers report holders only: never "failed"); else EN_ATTENTE.
 */
export function certificationStatut(
  dossier: { sortie: string | null },
  result: { obtention: (typeof CERT_OBTENTIONS)[number] } | null,
  today: string,
): CertStatut {
  if (result) return result.obtention === 'TOTALE' ? 'OBTENUE_TOTALE' : 'OBTENUE_PARTIELLE';
  if (dossier.sortie !== null && addMonths(dossier.sortie, UNKNOWN_AFTER_MONTHS) <= today) return 'INCONNUE';
  return 'EN_ATTENTE';
}

/** The day a dossier without result turns INCONNUE (its timer), null while it has not exited. */
// (exit + 12 months: that day, twelve months have passed)
export function unknownOn(dossier: { sortie: string | null }): string | null {
  return dossier.sortie === null ? null : addMonths(dossier.sortie, UNKNOWN_AFTER_MONTHS);
}

/** A dossier's certification as its state holds it (the view adds the referential's title). */
export interface DossierCertification {
  /** The result's certification, else the one the action aims at. */
  code: string;
  statut: CertStatut;
  blocs: string[];
  dateObtention: string | null;
  modaliteAcces?: (typeof CERT_MODALITES_ACCES)[number];
}

const obtained = (c: DossierCertification | null | undefined): boolean =>
  c?.statut === 'OBTENUE_TOTALE' || c?.statut === 'OBTENUE_PARTIELLE';

/**
 * What a dossier shows of its certification, whenever its dates or action change or a day passes:
 * an attached result stays; otherwise the certification its action aims at, awaited, or INCONNUE
 * 12 months after exit (null when it aims at none).
 */
export function settleCertification(
  current: DossierCertification | null | undefined,
  dossier: { certification: string | null; sortie: string | null },
  today: string,
): DossierCertification | null {
  if (current && obtained(current)) return current;
  if (dossier.certification === null) return null;
  const statut = certificationStatut(dossier, null, today);
  if (current && current.code === dossier.certification && current.statut === statut) return current;
  return { code: dossier.certification, statut, blocs: [], dateObtention: null };
}

/**
 * A result on the dossier: a full obtention is never undone nor redated (a later result of the
 * same certification leaves it as it is); partial results add up their blocks (the latest date);
 * a later full one replaces a partial one.
 */
export function recordResult(
  current: DossierCertification | null | undefined,
  result: {
    certification: string;
    obtention: (typeof CERT_OBTENTIONS)[number];
    blocs: readonly string[];
    dateObtention: string;
    modaliteAcces: (typeof CERT_MODALITES_ACCES)[number];
  },
): DossierCertification {
  const latest = (a: string | null, b: string) => (a !== null && a > b ? a : b);
  // The full obtention's date stays that of the full obtention.
  if (current?.statut === 'OBTENUE_TOTALE' && current.code === result.certification) return current;
  if (
    result.obtention === 'PARTIELLE' &&
    current?.statut === 'OBTENUE_PARTIELLE' &&
    current.code === result.certification
  ) {
    return {
      ...current,
      blocs: [...new Set([...current.blocs, ...result.blocs])].sort(),
      dateObtention: latest(current.dateObtention, result.dateObtention),
    };
  }
  return {
    code: result.certification,
    statut: result.obtention === 'TOTALE' ? 'OBTENUE_TOTALE' : 'OBTENUE_PARTIELLE',
    blocs: result.obtention === 'TOTALE' ? [] : [...result.blocs].sort(),
    dateObtention: result.dateObtention,
    modaliteAcces: result.modaliteAcces,
  };
}

/** Whether the dossier's certification can still change by the passing of time alone. */
export function certificationAwaited(
  c: DossierCertification | null | undefined,
  dossier: { sortie: string | null; closed: boolean },
): boolean {
  return c?.statut === 'EN_ATTENTE' && !(dossier.closed && dossier.sortie === null);
}

import { z } from 'zod';
import { REGION_CODES } from './code-lists';

/** Lifecycle states of a dossier (CONTRACT.md). */
export const DossierStatus = z.enum(['EN_COURS_ELABORATION', 'VALIDE', 'ENTRE', 'SORTI', 'CLOS']);
export type DossierStatus = z.infer<typeof DossierStatus>;

export const EventType = z.enum([
  'VALIDATION',
  'ENTREE',
  'INTERRUPTION',
  'REPRISE',
  'SORTIE',
  'CLOTURE',
  'ANNULATION',
  'RECTIFICATION',
]);
export type EventType = z.infer<typeof EventType>;

/** History entries also record the creation itself. */
export const HistoryType = z.enum(['CREATION', ...EventType.options]);
export type HistoryType = z.infer<typeof HistoryType>;

export const MotifSortie = z.enum(['FIN_FORMATION', 'ABANDON', 'EXCLUSION', 'ACCES_EMPLOI', 'AUTRE']);
export type MotifSortie = z.infer<typeof MotifSortie>;

export const Realisation = z.enum(['TOTALE', 'PARTIELLE', 'NON_REALISEE']);
export type Realisation = z.infer<typeof Realisation>;

export const Issue = z.enum(['REALISATION_TOTALE', 'REALISATION_PARTIELLE', 'NON_REALISEE']);
export type Issue = z.infer<typeof Issue>;

export const PartnerKind = z.enum([
  'REGION',
  'FRANCE_TRAVAIL',
  'OPCO',
  'CDC',
  'TRANSITIONS_PRO',
  'AGEFIPH',
  'ETAT',
  'ORGANISME_FORMATION',
  'CEP_OPERATEUR',
  'CERTIFICATEUR',
]);
export type PartnerKind = z.infer<typeof PartnerKind>;

export { FUNDING_KINDS } from './code-lists';

/** INSEE codes of the 18 current regions. */
export const RegionCode = z.enum(REGION_CODES);
export type RegionCode = z.infer<typeof RegionCode>;

export const ErrorCode = z.enum([
  'VALIDATION_ERROR',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INVALID_TRANSITION',
  'INCOHERENT_DATE',
  'ALREADY_EXISTS',
  'EVENT_ID_CONFLICT',
  'UNKNOWN_FINANCEUR',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** HTTP status of each error code. */
export const ERROR_STATUS: Record<ErrorCode, 400 | 401 | 403 | 404 | 405 | 409 | 413 | 429 | 500 | 503> = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  INCOHERENT_DATE: 409,
  ALREADY_EXISTS: 409,
  EVENT_ID_CONFLICT: 409,
  UNKNOWN_FINANCEUR: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** A refusal decided by business rules: the same shape travels from domain to workflow to API. */
export interface DomainError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

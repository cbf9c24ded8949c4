import { z } from 'zod';
import {
  CATEGORIES,
  DOSSIER_STATUSES,
  ISSUES,
  MOTIFS_SORTIE,
  PARTNER_KINDS,
  REALISATIONS,
  REGION_CODES,
} from './code-lists';

/**
 * The zod enums of the code lists of domain/code-lists.ts, for schemas: the lists and their types
 * live there (import a code's type from there).
 */
export const DossierStatus = z.enum(DOSSIER_STATUSES);
export const MotifSortie = z.enum(MOTIFS_SORTIE);
export const Realisation = z.enum(REALISATIONS);
export const Issue = z.enum(ISSUES);
export const PartnerKind = z.enum(PARTNER_KINDS);
export const RegionCode = z.enum(REGION_CODES);
export const Categorie = z.enum(CATEGORIES);

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
  'UNKNOWN_REMUNERATEUR',
  'NO_MATCH',
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
  UNKNOWN_REMUNERATEUR: 409,
  NO_MATCH: 409,
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

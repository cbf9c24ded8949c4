import { z } from 'zod';
import { CERT_MODALITES_ACCES, CERT_OBTENTIONS } from './code-lists';
import { BirthDate, DateString, DossierId, EventId, Nir, Text } from './schemas';

/** What a certifying body sends (CONTRACT.md, "Certification results"); the rules: domain/certification.ts. */

/** An RNCP or RS code: the prefix then digits. */
export const CertificationCode = z
  .string()
  .regex(/^(RNCP|RS)\d{1,6}$/, 'expected RNCP or RS then digits, e.g. RNCP37674');
/** A block of competences of a certification, e.g. RNCP37674BC02. */
export const BlocCode = z
  .string()
  .regex(/^(RNCP|RS)\d{1,6}BC\d{1,3}$/, 'expected a block code such as RNCP37674BC02');

const TITULAIRE_FORMS = 'either {"dossierId"} or {"nir", "nom", "prenom", "dateNaissance"}';

/**
 * The holder, by dossier or by person. When neither form fits, the message says which form the
 * object was read as and what it lacks there, rather than zod's "Invalid input".
 */
const Titulaire = z.union(
  [
    z.strictObject({ dossierId: DossierId }),
    z.strictObject({ nir: Nir, nom: Text(100), prenom: Text(100), dateNaissance: BirthDate }),
  ],
  {
    error: (iss) => {
      const input = iss.input;
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return `expected ${TITULAIRE_FORMS}`;
      const keys = Object.keys(input);
      const byDossier = keys.includes('dossierId');
      const byPerson = keys.some((k) => ['nir', 'nom', 'prenom', 'dateNaissance'].includes(k));
      if (!byDossier && !byPerson) return `send ${TITULAIRE_FORMS}`;
      const branches = (iss as { errors?: { message: string; path: PropertyKey[] }[][] }).errors;
      const first = branches?.[byDossier ? 0 : 1]?.[0];
      if (!first) return `send ${TITULAIRE_FORMS}`;
      const where = first.path.length ? `${first.path.map(String).join('.')}: ` : '';
      return `${where}${first.message} (send ${TITULAIRE_FORMS})`;
    },
  },
);

/** One result, as a certifier sends it (alone, or as a line of an NDJSON batch). */
export const ResultatBody = z
  .strictObject({
    resultatId: EventId.meta({ description: 'idempotent like an eventId' }),
    certification: CertificationCode,
    obtention: z.enum(CERT_OBTENTIONS),
    blocs: z.array(BlocCode).max(50).default([]),
    dateObtention: DateString,
    modaliteAcces: z.enum(CERT_MODALITES_ACCES),
    titulaire: Titulaire,
  })
  .refine((r) => r.obtention !== 'PARTIELLE' || r.blocs.length > 0, {
    message: 'a PARTIELLE obtention names at least one block',
    path: ['blocs'],
  })
  .refine((r) => r.blocs.every((b) => b.startsWith(`${r.certification}BC`)), {
    message: 'every block belongs to the certification',
    path: ['blocs'],
  })
  .meta({ id: 'CertificationResult' });
export type ResultatBody = z.infer<typeof ResultatBody>;

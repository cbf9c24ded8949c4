import { z } from 'zod';
import { FIRST_DATE, FIRST_OLD_DATE, bornBy, isDateFrom, isMonth } from './dates';
import { isValidNir } from './nir';
import { isValidSiret } from './siret';
import { POINTS, SITUATION_STATUTS } from './situations';
import {
  Categorie,
  DossierStatus,
  ErrorCode,
  Issue,
  MotifSortie,
  PartnerKind,
  Realisation,
  RegionCode,
} from './codes';
import {
  CEP_RESEAUX,
  CERT_MODALITES_ACCES,
  CERT_OBTENTIONS,
  CERT_STATUTS,
  REMUNERATION_MOTIFS_FIN,
  REMUNERATION_REGIMES,
} from './code-lists';

/** A business date: a calendar day from 2000-01-01 on (CONTRACT.md). */
export const DateString = z
  .string()
  .refine((v) => isDateFrom(v, FIRST_DATE), {
    message: `expected a calendar date YYYY-MM-DD, from ${FIRST_DATE} on`,
  })
  .meta({ example: '2026-01-15', format: 'date' });

/** A birth date: a calendar day from 1900-01-01 on (trainees were born before the platform). */
export const BirthDate = z
  .string()
  .refine((v) => isDateFrom(v, FIRST_OLD_DATE), {
    message: `expected a calendar date YYYY-MM-DD, from ${FIRST_OLD_DATE} on`,
  })
  .meta({ example: '1980-05-02', format: 'date' });

export const Siret = z
  .string()
  .regex(/^\d{14}$/, 'expected 14 digits')
  .refine(isValidSiret, { message: 'invalid SIRET: the Luhn check digit does not match' })
  .meta({ example: '23840001500018' });

export const Nir = z
  .string()
  .regex(
    /^[1-478]\d{4}(?:2[AB]|\d{2})\d{6}\d{2}$/,
    'expected 15 characters: 13 of the number and a 2-digit key',
  )
  .refine(isValidNir, { message: 'invalid NIR: the key does not match the number' })
  .meta({ example: '180057512345627' });

/** A month `YYYY-MM` from 2000-01 on. */
export const MonthString = z
  .string()
  .refine((v) => isMonth(v) && v >= FIRST_DATE.slice(0, 7), {
    message: `expected a month YYYY-MM, from ${FIRST_DATE.slice(0, 7)} on`,
  })
  .meta({ example: '2026-03' });

export const Amount = z
  .number()
  .nonnegative()
  .max(1e9)
  .refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, { message: 'at most two decimals' })
  .meta({ example: 6400 });

export const EventId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'use 1 to 128 characters of A-Za-z0-9._:-')
  .meta({ example: '3f1c2a9e-7d4b-4c1a-9a53-2f0c6c1b5e10' });

export const DossierId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1 to 64 characters of A-Za-z0-9._-')
  .meta({ example: 'R84-2026-000123' });

/** Control characters and lone surrogates: PostgreSQL refuses them in text and jsonb. */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/u;

/** Free text: trimmed, non-empty, at most `max` characters, no control character. */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !UNSTORABLE.test(s), 'control characters (such as NUL or a line break) are not allowed')
    // The same rule for the OpenAPI document (its patterns have no Unicode classes).
    .meta({ pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]*$' });

export const Stagiaire = z.strictObject({
  nir: Nir,
  nom: Text(100),
  prenom: Text(100),
  dateNaissance: BirthDate,
});
export type Stagiaire = z.infer<typeof Stagiaire>;

export const Organisme = z.strictObject({ siret: Siret, raisonSociale: Text(200) });
export type Organisme = z.infer<typeof Organisme>;

/** A department code: 69, 2A, 974. */
export const Departement = z
  .string()
  .regex(/^(\d{2}|2A|2B|97\d)$/, 'expected a department code such as 69, 2A or 974');

const ActionFields = {
  intitule: Text(300),
  dispositif: Text(64),
  objectif: Text(64),
  certification: Text(64).optional(),
  nsf: Text(16).optional(),
  region: RegionCode,
  departement: Departement.optional(),
  qpv: z.boolean().optional(),
  dateDebutPrevue: DateString,
  dateFinPrevue: DateString,
  dureeHeures: z.number().positive().max(100000).optional(),
};

export const Action = z.strictObject(ActionFields).refine((a) => a.dateFinPrevue >= a.dateDebutPrevue, {
  message: 'dateFinPrevue is before dateDebutPrevue',
  path: ['dateFinPrevue'],
});
export type Action = z.infer<typeof Action>;

export const Financement = z.strictObject({
  financeurSiret: Siret,
  montantEngage: Amount,
  montantRealise: Amount.optional(),
});
export type Financement = z.infer<typeof Financement>;

const Financements = z
  .array(Financement)
  .min(1)
  .max(20)
  .refine((list) => new Set(list.map((f) => f.financeurSiret)).size === list.length, {
    message: 'each financeurSiret may appear once',
  });

/** Body of `POST /v1/dossiers`. */
export const CreateDossierBody = z
  .strictObject({
    eventId: EventId,
    dossierId: DossierId,
    date: DateString,
    stagiaire: Stagiaire,
    organisme: Organisme,
    action: Action,
    financements: Financements,
    prescription: z
      .strictObject({ periodeId: DossierId, prescriptionId: EventId })
      .optional()
      .meta({ description: 'the CEP prescription that led to this training (CONTRACT.md, "CEP periods")' }),
    remunerateurSiret: Siret.optional().meta({
      description: 'who pays the trainee during the training: a REMUNERATEUR or FRANCE_TRAVAIL partner',
    }),
  })
  .refine((b) => bornBy(b.stagiaire.dateNaissance, b.date), {
    message: "after the dossier's date: a trainee is born before the dossier",
    path: ['stagiaire', 'dateNaissance'],
  })
  .meta({ id: 'CreateDossier' });
export type CreateDossierBody = z.infer<typeof CreateDossierBody>;

const base = { eventId: EventId, date: DateString };

/** A RECTIFICATION's `changes` (a dossier's, a CEP period's) must correct at least one field. */
export const correctsSomething = [
  (c: object) =>
    Object.values(c).some((v) => v !== undefined && (typeof v !== 'object' || Object.keys(v).length > 0)),
  { message: 'changes must correct at least one field' },
] as const;

export const RectificationChanges = z
  .strictObject({
    dates: z
      .strictObject({
        creation: DateString.optional(),
        validation: DateString.optional(),
        entree: DateString.optional(),
        sortie: DateString.optional(),
        cloture: DateString.optional(),
      })
      .optional(),
    stagiaire: z
      .strictObject({
        nom: Text(100).optional(),
        prenom: Text(100).optional(),
        dateNaissance: BirthDate.optional(),
      })
      .optional(),
    organisme: z.strictObject({ raisonSociale: Text(200).optional() }).optional(),
    action: z.strictObject(ActionFields).partial().optional(),
    financements: Financements.optional(),
    sortie: z
      .strictObject({ motif: MotifSortie.optional(), heuresRealisees: z.number().min(0).optional() })
      .optional(),
    remunerateurSiret: Siret.optional().meta({ description: 'who pays the trainee (a financeur names it)' }),
  })
  .refine(...correctsSomething);
export type RectificationChanges = z.infer<typeof RectificationChanges>;

/** Body of `POST /v1/dossiers/{dossierId}/events`, one variant per event type. */
export const DossierEvent = z
  .discriminatedUnion('type', [
    z.strictObject({ ...base, type: z.literal('VALIDATION'), financements: Financements.optional() }),
    z.strictObject({ ...base, type: z.literal('ENTREE') }),
    z.strictObject({ ...base, type: z.literal('INTERRUPTION'), motif: Text(200).optional() }),
    z.strictObject({ ...base, type: z.literal('REPRISE') }),
    z.strictObject({
      ...base,
      type: z.literal('SORTIE'),
      motif: MotifSortie,
      heuresRealisees: z.number().min(0).max(100000).optional(),
    }),
    z.strictObject({
      ...base,
      type: z.literal('CLOTURE'),
      realisation: Realisation.optional(),
      montantsRealises: z
        .array(z.strictObject({ financeurSiret: Siret, montant: Amount }))
        .max(20)
        .optional(),
    }),
    z.strictObject({ ...base, type: z.literal('ANNULATION'), motif: Text(200).optional() }),
    z.strictObject({ ...base, type: z.literal('RECTIFICATION'), changes: RectificationChanges }),
    z.strictObject({
      ...base,
      type: z.literal('REMUNERATION_DEBUT'),
      regime: z.enum(REMUNERATION_REGIMES),
      montantMensuel: Amount,
    }),
    z.strictObject({ ...base, type: z.literal('REMUNERATION_PAIEMENT'), mois: MonthString, montant: Amount }),
    z.strictObject({ ...base, type: z.literal('REMUNERATION_FIN'), motif: z.enum(REMUNERATION_MOTIFS_FIN) }),
  ])
  .meta({ id: 'DossierEvent' });
export type DossierEvent = z.infer<typeof DossierEvent>;

/**
 * A certification result attached to its dossier: the platform sends it to the dossier's workflow
 * (from `POST /v1/certifications/resultats`), never a partner through the events route. Its
 * eventId is the result's `resultatId`, its date the obtention's.
 */
export const CertificationEvent = z.strictObject({
  ...base,
  type: z.literal('CERTIFICATION'),
  certification: z.string(),
  obtention: z.enum(CERT_OBTENTIONS),
  blocs: z.array(z.string()),
  modaliteAcces: z.enum(CERT_MODALITES_ACCES),
});
export type CertificationEvent = z.infer<typeof CertificationEvent>;

/** Every event a dossier's record takes: the partners' and the platform's own. */
export type RecordEvent = DossierEvent | CertificationEvent;

/** The event types, as the variants of the record's events name them (the one list of them). */
export type EventType = RecordEvent['type'];
export const EventType = z.enum([
  ...DossierEvent.options.map((o) => o.shape.type.value),
  CertificationEvent.shape.type.value,
] as unknown as [EventType, ...EventType[]]);

/** History entries also record the creation itself. */
export const HistoryType = z.enum(['CREATION', ...EventType.options]);
export type HistoryType = z.infer<typeof HistoryType>;

export const Interruption = z.object({
  date: DateString,
  motif: z.string().optional(),
  reprise: DateString.nullable(),
});
export type Interruption = z.infer<typeof Interruption>;

export const DossierDates = z.object({
  creation: DateString,
  validation: DateString.nullable(),
  entree: DateString.nullable(),
  sortie: DateString.nullable(),
  cloture: DateString.nullable(),
});
export type DossierDates = z.infer<typeof DossierDates>;

export const Situation = z
  .object({
    point: z.enum(POINTS),
    mois: z
      .string()
      .nullable()
      .meta({ description: 'reference month YYYY-MM; null while its date is unknown' }),
    statut: z.enum(SITUATION_STATUTS),
    meilleurEmploi: z
      .object({
        natureContrat: z.string(),
        categorie: Categorie,
        siretEmployeur: z
          .string()
          .optional()
          .meta({ description: 'financeurs of the dossier and the platform only' }),
        codeNaf: z
          .string()
          .optional()
          .meta({ description: 'financeurs of the dossier and the platform only' }),
        heures: z.number(),
        dateDebutContrat: z.string(),
        dateFinContrat: z.string().nullable().optional(),
        emploiDurable: z.boolean(),
      })
      .optional(),
    multiEmploi: z.boolean().optional(),
  })
  .meta({ id: 'Situation' });

/** The dossier as served by `GET /v1/dossiers/{dossierId}`. */
export const DossierView = z
  .object({
    dossierId: DossierId,
    status: DossierStatus,
    interrompu: z.boolean(),
    issue: Issue.nullable(),
    stagiaire: z.object({
      nir: z.string().optional().meta({ description: 'only for the financeurs of the dossier' }),
      nirMasque: z.string(),
      nom: z.string(),
      prenom: z.string(),
      dateNaissance: DateString,
    }),
    organisme: Organisme,
    action: z.object(ActionFields),
    financements: z.array(
      Financement.partial({ montantEngage: true }).meta({
        description: 'the amounts are not shown to the remunerator',
      }),
    ),
    dates: DossierDates,
    interruptions: z.array(Interruption),
    sortie: z.object({ motif: MotifSortie, heuresRealisees: z.number().optional() }).nullable(),
    situations: z.array(Situation),
    prescription: z
      .object({ periodeId: z.string(), prescriptionId: z.string(), operateurSiret: z.string() })
      .optional()
      .meta({ description: 'the CEP prescription the dossier came from: its ids and operator only' }),
    remunerateurSiret: z
      .string()
      .optional()
      .meta({ description: 'who pays the trainee during the training' }),
    certification: z
      .object({
        code: z.string(),
        intitule: z.string().optional().meta({ description: 'from the loaded RNCP/RS referential' }),
        niveau: z.string().optional().meta({ description: 'from the loaded RNCP/RS referential' }),
        statut: z.enum(CERT_STATUTS),
        blocs: z.array(z.string()),
        dateObtention: DateString.nullable(),
        modaliteAcces: z.enum(CERT_MODALITES_ACCES).optional(),
      })
      .nullable()
      .meta({
        description:
          'null when the action aims at no certification and no result came; INCONNUE 12 months after exit without a result',
      }),
    remunerations: z.array(
      z.object({
        regime: z.enum(REMUNERATION_REGIMES),
        remunerateurSiret: z.string(),
        debut: DateString,
        fin: DateString.nullable(),
        montantMensuel: z.number(),
        totalVerse: z.number(),
        suspendue: z.boolean(),
        motifFin: z.enum(REMUNERATION_MOTIFS_FIN).optional(),
      }),
    ),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Dossier' });
export type DossierViewT = z.infer<typeof DossierView>;

export const HistoryEntry = z
  .object({
    seq: z.number().int(),
    eventId: z.string(),
    type: HistoryType,
    date: DateString,
    receivedAt: z.string(),
    source: z.string(),
    confirmation: z.boolean().optional().meta({ description: 'the same fact told again by this source' }),
    version: z.number().int().optional().meta({ description: "the dossier's version after this entry" }),
    data: z.record(z.string(), z.unknown()).optional(),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'HistoryEntry' });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const CreatePartnerBody = z
  .strictObject({
    siret: Siret,
    name: Text(200),
    kind: PartnerKind,
    region: RegionCode.optional(),
    reseau: z
      .enum(CEP_RESEAUX)
      .optional()
      .meta({ description: "a CEP_OPERATEUR's network (France Travail runs the CEP as its own kind)" }),
    prefixes: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,32}$/, 'a prefix of dossierIds: 1 to 32 characters of A-Za-z0-9._-'),
      )
      .max(20)
      .optional()
      .meta({ description: 'the dossierId prefixes this partner owns, e.g. ["R84-"]' }),
  })
  .refine((p) => p.kind !== 'CEP_OPERATEUR' || p.reseau !== undefined, {
    message:
      'a CEP_OPERATEUR partner needs its reseau: APEC, MISSION_LOCALE, CAP_EMPLOI or OPERATEUR_REGIONAL',
    path: ['reseau'],
  })
  .refine((p) => p.kind === 'CEP_OPERATEUR' || p.reseau === undefined, {
    message: 'only a CEP_OPERATEUR partner has a reseau',
    path: ['reseau'],
  })
  .refine((p) => p.kind !== 'REGION' || p.region !== undefined, {
    message: 'a REGION partner needs its region code',
    path: ['region'],
  })
  .meta({ id: 'CreatePartner' });
export type CreatePartnerBody = z.infer<typeof CreatePartnerBody>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const ListQuery = z.object({
  status: DossierStatus.optional(),
  financeur: z
    .string()
    .regex(/^\d{14}$/, 'expected a 14-digit SIRET')
    .optional(),
  organisme: z
    .string()
    .regex(/^\d{14}$/, 'expected a 14-digit SIRET')
    .optional(),
  region: RegionCode.optional(),
  dispositif: Text(64).optional(),
  issue: Issue.optional(),
  createdFrom: DateString.optional().meta({ description: 'received on or after this day (UTC)' }),
  createdTo: DateString.optional().meta({ description: 'received on or before this day (UTC)' }),
  entreeFrom: DateString.optional().meta({ description: 'training entered on or after this day' }),
  entreeTo: DateString.optional().meta({ description: 'training entered on or before this day' }),
  sortieFrom: DateString.optional().meta({ description: 'training left on or after this day' }),
  sortieTo: DateString.optional().meta({ description: 'training left on or before this day' }),
  interrompu: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'true: the dossiers whose training is interrupted; false: the others' }),
  sort: z.enum(['recent', 'ancien', 'numero']).optional().meta({
    description: 'recent (newest first, the default), ancien (oldest first), numero (by dossier id)',
  }),
  withTotal: z.enum(['true', 'false']).optional().meta({
    description: 'true: the answer also counts the whole list (`total`, up to 10,000; `totalExact`)',
  }),
  idPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'the start of a dossier id: 1 to 64 characters of A-Za-z0-9._-')
    .optional()
    .meta({ description: 'dossiers whose id starts with this (case-sensitive)' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** Body of `POST /v1/dossiers/search`: a trainee's dossiers by NIR, with the list's filters. */
export const SearchBody = z
  .strictObject({
    ...ListQuery.shape,
    nir: Nir.optional().meta({ description: 'the trainee (financeurs; audited)' }),
    nom: Text(100)
      .refine((v) => (v.match(/\p{L}/gu) ?? []).length >= 2, 'at least 2 letters')
      .optional()
      .meta({
        description:
          "the trainee's last name, or its start: case, accents, spaces and hyphens ignored (audited)",
      }),
    dateNaissance: BirthDate.optional().meta({ description: "with `nom`: the trainee's birth date" }),
  })
  .refine((b) => (b.nir === undefined) !== (b.nom === undefined), {
    message: 'send either nir or nom',
    path: ['nir'],
  })
  .refine((b) => b.dateNaissance === undefined || b.nom !== undefined, {
    message: 'dateNaissance narrows a search by nom',
    path: ['dateNaissance'],
  })
  .meta({ id: 'DossierSearch' });
export type SearchBody = z.infer<typeof SearchBody>;

/** `since` (an instant or a day) and `limit` of the logs served oldest first. */
export const Since = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'an ISO 8601 instant (2026-11-01T08:00:00Z) or day (2026-11-01)',
});
export const LogQuery = z.object({
  since: Since.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Query of `GET /v1/admin/audit` (CONTRACT.md): filters, newest first, keyset-paged. */
export const AuditQuery = z.object({
  since: Since.optional(),
  until: Since.optional(),
  dossierId: DossierId.optional(),
  actor: z
    .string()
    .regex(
      /^([A-Za-z0-9-]{1,64}|[^\s@]{1,64}@[^\s@]{1,190})$/,
      "a partner id, a SIRET, ADMIN or an agent's email",
    )
    .optional()
    .meta({ description: "a partner's id or SIRET, ADMIN, or a console agent's email" }),
  action: z
    .string()
    .regex(/^[A-Z_]{1,32}$/, 'an action code such as DOSSIER_READ')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

import { z } from 'zod';
import { bornBy } from './dates';
import {
  CEP_MODALITES,
  CEP_MOTIFS_CLOTURE,
  CEP_OBJECTIFS,
  CEP_SERVICES,
  CEP_SITUATIONS,
  CEP_STATUTS,
} from './code-lists';
import { DossierStatus, RegionCode } from './codes';
import {
  BirthDate,
  DateString,
  Departement,
  DossierId,
  EventId,
  Nir,
  Situation,
  Text,
  correctsSomething,
} from './schemas';
import { CEP_POINTS } from './cep-follow-up';

/** The schemas of CEP periods (CONTRACT.md, "CEP periods"): bodies, events and the period's view. */

/** A period's id: the operator's own numbering, as a dossierId. */
export const PeriodeId = DossierId.meta({ example: 'ML-69-2026-000042' });

export const Beneficiaire = z.strictObject({
  nir: Nir,
  nom: Text(100),
  prenom: Text(100),
  dateNaissance: BirthDate,
});
export type Beneficiaire = z.infer<typeof Beneficiaire>;

/** Body of `POST /v1/cep/periodes`: a period opens. */
export const OpenPeriodBody = z
  .strictObject({
    eventId: EventId,
    periodeId: PeriodeId,
    date: DateString,
    beneficiaire: Beneficiaire,
    situation: z.enum(CEP_SITUATIONS),
    region: RegionCode,
    departement: Departement.optional(),
    periodePrecedente: PeriodeId.optional().meta({
      description: 'the period of another operator this one continues: linked both ways',
    }),
  })
  .refine((b) => b.periodePrecedente !== b.periodeId, {
    message: 'a period does not continue itself',
    path: ['periodePrecedente'],
  })
  .refine((b) => bornBy(b.beneficiaire.dateNaissance, b.date), {
    message: "after the period's opening date: a beneficiary is born before it",
    path: ['beneficiaire', 'dateNaissance'],
  })
  .meta({ id: 'CepPeriodOpen' });
export type OpenPeriodBody = z.infer<typeof OpenPeriodBody>;

/** What a RECTIFICATION of a period may correct: the operator's own declarations. */
export const CepRectificationChanges = z
  .strictObject({
    dates: z.strictObject({ ouverture: DateString.optional(), cloture: DateString.optional() }).optional(),
    beneficiaire: z
      .strictObject({
        nom: Text(100).optional(),
        prenom: Text(100).optional(),
        dateNaissance: BirthDate.optional(),
      })
      .optional(),
    situation: z.enum(CEP_SITUATIONS).optional(),
    region: RegionCode.optional(),
    departement: Departement.optional(),
    objectif: z.enum(CEP_OBJECTIFS).optional(),
    motifCloture: z.enum(CEP_MOTIFS_CLOTURE).optional(),
  })
  .refine(...correctsSomething);
export type CepRectificationChanges = z.infer<typeof CepRectificationChanges>;

const base = { eventId: EventId, date: DateString };

/** Body of `POST /v1/cep/periodes/{periodeId}/events`, one variant per event type. */
export const CepEvent = z
  .discriminatedUnion('type', [
    z.strictObject({
      ...base,
      type: z.literal('SERVICE'),
      service: z.enum(CEP_SERVICES),
      modalite: z.enum(CEP_MODALITES),
    }),
    z.strictObject({ ...base, type: z.literal('ACCOMPAGNEMENT'), objectif: z.enum(CEP_OBJECTIFS) }),
    z.strictObject({
      ...base,
      type: z.literal('PRESCRIPTION'),
      prescriptionId: EventId.meta({ description: "the operator's id of the prescription" }),
      intitule: Text(300),
      certification: Text(64).optional(),
      dispositif: Text(64).optional(),
    }),
    z.strictObject({ ...base, type: z.literal('CLOTURE'), motif: z.enum(CEP_MOTIFS_CLOTURE) }),
    z.strictObject({ ...base, type: z.literal('RECTIFICATION'), changes: CepRectificationChanges }),
  ])
  .meta({ id: 'CepEvent' });
export type CepEvent = z.infer<typeof CepEvent>;

/** The CEP event types, as the variants of CepEvent name them. */
export type CepEventType = CepEvent['type'];

export const CepStatut = z.enum(CEP_STATUTS);

/** Another operator's period linked to this one: its summary only (CONTRACT.md). */
export const CepPeriodSummary = z
  .object({
    periodeId: PeriodeId,
    operateurSiret: z.string(),
    statut: CepStatut,
    niveau: z.union([z.literal(1), z.literal(2)]),
    dates: z.object({ ouverture: DateString, cloture: DateString.nullable() }),
  })
  .meta({ id: 'CepPeriodSummary' });
export type CepPeriodSummary = z.infer<typeof CepPeriodSummary>;

/** A training dossier that names one of the period's prescriptions: its summary only. */
export const CepFormation = z
  .object({
    dossierId: DossierId,
    prescriptionId: z.string(),
    status: DossierStatus,
    intitule: z.string(),
    dispositif: z.string(),
    dates: z.object({
      debutPrevue: DateString,
      finPrevue: DateString,
      entree: DateString.nullable(),
      sortie: DateString.nullable(),
    }),
  })
  .meta({ id: 'CepFormation' });
export type CepFormation = z.infer<typeof CepFormation>;

export const CepPrescription = z
  .object({
    prescriptionId: z.string(),
    intitule: z.string(),
    certification: z.string().optional(),
    dispositif: z.string().optional(),
    date: DateString,
    statut: z.enum(['EMISE', 'SUIVIE']).meta({ description: 'SUIVIE once a dossier names it' }),
  })
  .meta({ id: 'CepPrescription' });

/** A point of the follow-up after closure (CONTRACT.md, "CEP periods"). */
export const CepSuiviPoint = z
  .object({
    point: z.enum(CEP_POINTS),
    date: DateString.nullable().meta({ description: 'closure date, + 6 or + 12 months; null until closure' }),
    mois: z.string().nullable().meta({ description: 'the DSN month of the point' }),
    emploi: Situation.omit({ point: true, mois: true }).meta({
      description: "the DSN situation of the point's month, by the dossiers' rule",
    }),
    formation: z.boolean().meta({
      description: 'the person entered a training dossier between the opening and the point',
    }),
    dossierId: z.string().optional().meta({ description: 'that dossier, where the operator may see it' }),
  })
  .meta({ id: 'CepSuiviPoint' });
export type CepSuiviPoint = z.infer<typeof CepSuiviPoint>;

/** A period as `GET /v1/cep/periodes/{periodeId}` serves it to its operator. */
export const CepView = z
  .object({
    periodeId: PeriodeId,
    statut: CepStatut,
    niveau: z.union([z.literal(1), z.literal(2)]),
    operateurSiret: z.string(),
    beneficiaire: z.object({
      nir: z.string().optional().meta({ description: "on the period's own read only (audited)" }),
      nirMasque: z.string(),
      nom: z.string(),
      prenom: z.string(),
      dateNaissance: DateString,
    }),
    situation: z.enum(CEP_SITUATIONS),
    region: z.string(),
    departement: z.string().nullable(),
    dates: z.object({
      ouverture: DateString,
      accompagnement: DateString.nullable(),
      cloture: DateString.nullable(),
      dernierEvenement: DateString,
    }),
    objectif: z.enum(CEP_OBJECTIFS).nullable(),
    motifCloture: z.enum([...CEP_MOTIFS_CLOTURE, 'SANS_NOUVELLES']).nullable(),
    services: z.record(z.enum(CEP_SERVICES), z.number().int()),
    prescriptions: z.array(CepPrescription),
    formations: z.array(CepFormation),
    suivi: z.array(CepSuiviPoint),
    periodePrecedente: CepPeriodSummary.nullable(),
    periodesSuivantes: z.array(CepPeriodSummary),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CepPeriod' });
export type CepView = z.infer<typeof CepView>;

/** Query of `GET /v1/cep/periodes`: the operator's periods, newest first, keyset-paged. */
export const CepListQuery = z.object({
  statut: CepStatut.optional(),
  region: RegionCode.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type CepListQuery = z.infer<typeof CepListQuery>;

/** Body of `POST /v1/cep/periodes/search`: a person's periods by NIR, among the operator's (audited). */
export const CepSearchBody = z
  .strictObject({ ...CepListQuery.shape, nir: Nir.meta({ description: 'the beneficiary (audited)' }) })
  .meta({ id: 'CepSearch' });
export type CepSearchBody = z.infer<typeof CepSearchBody>;

export const CepHistoryEntry = z
  .object({
    seq: z.number().int(),
    eventId: z.string(),
    type: z.enum(['CREATION', ...CepEvent.options.map((o) => o.shape.type.value)]),
    date: DateString,
    receivedAt: z.string(),
    source: z.string(),
    confirmation: z.boolean().optional(),
    version: z.number().int().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    before: z.record(z.string(), z.unknown()).optional(),
    after: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'CepHistoryEntry' });

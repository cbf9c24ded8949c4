import { z } from 'zod';
import {
  CEP_MODALITES,
  CEP_MOTIFS_CLOTURE,
  CEP_OBJECTIFS,
  CEP_SERVICES,
  CEP_SITUATIONS,
  CEP_STATUTS,
} from './code-lists';
import { RegionCode } from './codes';
import {
  BirthDate,
  DateString,
  Departement,
  DossierId,
  EventId,
  Nir,
  Text,
  correctsSomething,
} from './schemas';

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

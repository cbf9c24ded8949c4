import { defineEntity, p } from '@mikro-orm/core';

/** A partner system; its API tokens are in partner_tokens, stored as hashes only. */
export const Partner = defineEntity({
  name: 'Partner',
  tableName: 'partners',
  properties: {
    id: p.uuid().primary(),
    siret: p.string().length(14).unique(),
    name: p.string(),
    kind: p.string(),
    region: p.string().nullable(),
    reseau: p.string().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

/** One refused partner event, for the partner's data-quality log (no personal data). */
export const Rejection = defineEntity({
  name: 'Rejection',
  tableName: 'rejections',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    partnerSiret: p.string(),
    dossierId: p.string().nullable(),
    periodeId: p.string().nullable(),
    eventId: p.string().nullable(),
    eventType: p.string().nullable(),
    code: p.string(),
    message: p.text(),
    at: p.datetime().onCreate(() => new Date()),
  },
});

export const entities = [Partner, Rejection];

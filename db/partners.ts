import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { PartnerKind } from '../domain/codes';
import type { CreatePartnerBody } from '../domain/schemas';
import { sha256Hex } from '../infra/canonical-hash';
import { Partner } from './entities';

export interface PartnerRecord {
  id: string;
  siret: string;
  name: string;
  kind: PartnerKind;
  region: string | null;
  createdAt: Date;
}

/** A new API token: shown once, stored only as its SHA-256. */
export function newToken(): { token: string; hash: string } {
  const token = `agp_${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256Hex(token) };
}

export class PartnerExistsError extends Error {}

export async function createPartner(
  em: EntityManager,
  body: CreatePartnerBody,
): Promise<{ partner: PartnerRecord; token: string }> {
  const { token, hash } = newToken();
  const partner = em.create(Partner, {
    id: randomUUID(),
    siret: body.siret,
    name: body.name,
    kind: body.kind,
    region: body.region ?? null,
    tokenHash: hash,
    createdAt: new Date(),
  });
  try {
    await em.persistAndFlush(partner);
  } catch (e) {
    if (e instanceof UniqueConstraintViolationException) throw new PartnerExistsError(body.siret);
    throw e;
  }
  return { partner: toRecord(partner), token };
}

export async function findPartnerByTokenHash(em: EntityManager, hash: string): Promise<PartnerRecord | null> {
  const p = await em.findOne(Partner, { tokenHash: hash });
  return p ? toRecord(p) : null;
}

export async function listPartners(em: EntityManager): Promise<PartnerRecord[]> {
  const rows = await em.find(Partner, {}, { orderBy: { createdAt: 'asc' } });
  return rows.map(toRecord);
}

function toRecord(p: {
  id: string;
  siret: string;
  name: string;
  kind: string;
  region?: string | null;
  createdAt: Date;
}): PartnerRecord {
  return {
    id: p.id,
    siret: p.siret,
    name: p.name,
    kind: p.kind as PartnerKind,
    region: p.region ?? null,
    createdAt: p.createdAt,
  };
}

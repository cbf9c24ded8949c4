import type { DomainError, PartnerKind } from './codes';
import { FUNDING_KINDS } from './code-lists';
import type { DossierParties } from './dossier-state';
import type { CreateDossierBody, DossierEvent } from './schemas';

/**
 * Who calls: the platform admin, or a partner with its SIRET, kind and region.
 * Every rule of "who sees and does what" lives in this file.
 */
export type Actor =
  | { admin: true }
  | { admin: false; partnerId: string; siret: string; kind: PartnerKind; region?: string; name?: string };

export const ADMIN: Actor = { admin: true };

/** The `source` recorded in the history for an actor's events. */
export function sourceOf(actor: Actor): string {
  return actor.admin ? 'ADMIN' : actor.siret;
}

export function isFinanceur(actor: Actor, parties: DossierParties): boolean {
  return !actor.admin && parties.financeurSirets.includes(actor.siret);
}

function isOrganisme(actor: Actor, parties: DossierParties): boolean {
  return !actor.admin && parties.organismeSiret === actor.siret;
}

/** Whether the actor may read the dossier at all (else it answers 404, not revealing it exists). */
export function canSee(actor: Actor, parties: DossierParties): boolean {
  if (actor.admin) return true;
  if (isFinanceur(actor, parties) || isOrganisme(actor, parties)) return true;
  return actor.kind === 'REGION' && actor.region === parties.region;
}

/** The full NIR is for the dossier's financeurs (and the platform) only. */
export function canReadFullNir(actor: Actor, parties: DossierParties): boolean {
  return actor.admin || isFinanceur(actor, parties);
}

const FINANCEUR_EVENTS: ReadonlySet<DossierEvent['type']> = new Set(['VALIDATION', 'CLOTURE', 'ANNULATION']);

/** NOT_FOUND when the dossier is hidden from the actor, FORBIDDEN when visible but not theirs to act on. */
export function authorizeEvent(
  actor: Actor,
  parties: DossierParties,
  type: DossierEvent['type'],
): DomainError | null {
  if (actor.admin) return null;
  if (!canSee(actor, parties)) return { code: 'NOT_FOUND', message: 'no such dossier' };
  if (isFinanceur(actor, parties)) return null;
  if (isOrganisme(actor, parties) && !FINANCEUR_EVENTS.has(type)) return null;
  return {
    code: 'FORBIDDEN',
    message: FINANCEUR_EVENTS.has(type)
      ? `${type} is sent by a financeur of the dossier`
      : `${type} is sent by the dossier's organisme or one of its financeurs`,
  };
}

export function authorizeCreate(actor: Actor, body: CreateDossierBody): DomainError | null {
  if (actor.admin) return null;
  if (!FUNDING_KINDS.includes(actor.kind)) {
    return {
      code: 'FORBIDDEN',
      message: `a ${actor.kind} partner cannot create dossiers: only financeurs do`,
    };
  }
  if (!body.financements.some((f) => f.financeurSiret === actor.siret)) {
    return {
      code: 'FORBIDDEN',
      message: `a financeur creates only dossiers it funds: put your SIRET ${actor.siret} among financements`,
    };
  }
  return null;
}

import type { DomainError } from './codes';
import type { PartnerKind } from './code-lists';
import { FUNDING_KINDS } from './code-lists';
import type { DossierParties } from './dossier-state';
import { EVENT_RULES } from './lifecycle';
import type { CreateDossierBody, EventType } from './schemas';

/**
 * Who calls: the platform admin, or a partner with its SIRET, kind and region.
 * Every rule of "who sees and does what" lives in this file; the SQL of db/visibility.ts and the
 * routes apply what it decides.
 */
export type Actor =
  | { admin: true }
  | {
      admin: false;
      partnerId: string;
      siret: string;
      kind: PartnerKind;
      region?: string;
      name?: string;
      /** The console's agent acting for the partner (email): named in the access audit. */
      agent?: string;
    };

export type PartnerActor = Extract<Actor, { admin: false }>;

export const ADMIN: Actor = { admin: true };

/** The `source` recorded in the history for an actor's events. */
export function sourceOf(actor: Actor): string {
  return actor.admin ? 'ADMIN' : actor.siret;
}

export function isFundingKind(kind: PartnerKind): boolean {
  return (FUNDING_KINDS as readonly PartnerKind[]).includes(kind);
}

// ---- Who sees a dossier -------------------------------------------------------------------------

/**
 * One way a dossier is visible to a partner: it is the dossier's organisme, one of its financeurs,
 * or the Region of its territory. As data, so that the in-memory check (`canSee`) and the SQL of
 * every list, figure and file (db/visibility.ts) are built from the same definition.
 */
export type VisibilityClause =
  | { party: 'organisme'; siret: string }
  | { party: 'financeur'; siret: string }
  | { party: 'remunerateur'; siret: string }
  | { party: 'region'; region: string };

/** All dossiers (the platform), or those for which one of the clauses holds. */
export type Visibility = { all: true } | { all: false; anyOf: VisibilityClause[] };

/** The kinds that pay trainees during training (CONTRACT.md, "Trainee remuneration"). */
export const PAYING_KINDS: readonly PartnerKind[] = ['REMUNERATEUR', 'FRANCE_TRAVAIL'];

/** THE rule of who sees a dossier. */
export function visibility(actor: Actor): Visibility {
  if (actor.admin) return { all: true };
  const anyOf: VisibilityClause[] = [
    { party: 'organisme', siret: actor.siret },
    { party: 'financeur', siret: actor.siret },
  ];
  if (PAYING_KINDS.includes(actor.kind)) anyOf.push({ party: 'remunerateur', siret: actor.siret });
  if (actor.kind === 'REGION' && actor.region !== undefined)
    anyOf.push({ party: 'region', region: actor.region });
  return { all: false, anyOf };
}

function holds(clause: VisibilityClause, parties: DossierParties): boolean {
  switch (clause.party) {
    case 'organisme':
      return parties.organismeSiret === clause.siret;
    case 'financeur':
      return parties.financeurSirets.includes(clause.siret);
    case 'remunerateur':
      return parties.remunerateurSiret === clause.siret;
    case 'region':
      return parties.region === clause.region;
  }
}

/** Whether the actor may read the dossier at all (else it answers 404, not revealing it exists). */
export function canSee(actor: Actor, parties: DossierParties): boolean {
  const v = visibility(actor);
  return v.all || v.anyOf.some((c) => holds(c, parties));
}

export function isFinanceur(actor: Actor, parties: DossierParties): boolean {
  return !actor.admin && parties.financeurSirets.includes(actor.siret);
}

function isOrganisme(actor: Actor, parties: DossierParties): boolean {
  return !actor.admin && parties.organismeSiret === actor.siret;
}

/** The full NIR (and the employers' details) are for the dossier's financeurs and the platform only. */
export function canReadFullNir(actor: Actor, parties: DossierParties): boolean {
  return actor.admin || isFinanceur(actor, parties);
}

// ---- What an actor may do -----------------------------------------------------------------------

const forbidden = (message: string, details?: unknown): DomainError => ({
  code: 'FORBIDDEN',
  message,
  ...(details === undefined ? {} : { details }),
});

/**
 * Whether the actor sees the dossier only as its remunerator: identity, action, dates and pay, not
 * the amounts funded (CONTRACT.md, "Trainee remuneration").
 */
export function seesAsRemunerateurOnly(actor: Actor, parties: DossierParties): boolean {
  return (
    !actor.admin &&
    parties.remunerateurSiret === actor.siret &&
    !isFinanceur(actor, parties) &&
    !isOrganisme(actor, parties) &&
    !(actor.kind === 'REGION' && actor.region === parties.region)
  );
}

/** NOT_FOUND when the dossier is hidden from the actor, FORBIDDEN when visible but not theirs to act on. */
export function authorizeEvent(actor: Actor, parties: DossierParties, type: EventType): DomainError | null {
  if (actor.admin) return null;
  const { sentBy } = EVENT_RULES[type];
  // A result the platform matched: the certifier does not see the dossier it attaches to.
  if (sentBy === 'CERTIFICATEUR') {
    return actor.kind === 'CERTIFICATEUR'
      ? null
      : forbidden('certification results are sent by certifiers to POST /v1/certifications/resultats');
  }
  if (!canSee(actor, parties)) return { code: 'NOT_FOUND', message: 'no such dossier' };
  if (sentBy === 'REMUNERATEUR') {
    return parties.remunerateurSiret === actor.siret
      ? null
      : forbidden(`${type} is sent by the dossier's remunerator (its remunerateurSiret)`);
  }
  if (isFinanceur(actor, parties)) return null;
  const financeurOnly = sentBy === 'FINANCEUR';
  if (isOrganisme(actor, parties) && !financeurOnly) return null;
  return forbidden(
    financeurOnly
      ? `${type} is sent by a financeur of the dossier`
      : `${type} is sent by the dossier's organisme or one of its financeurs`,
  );
}

/** A creation: by a financeur that funds the dossier. */
export function authorizeCreate(actor: Actor, body: CreateDossierBody): DomainError | null {
  if (actor.admin) return null;
  if (!isFundingKind(actor.kind))
    return forbidden(`a ${actor.kind} partner cannot create dossiers: only financeurs do`);
  if (!body.financements.some((f) => f.financeurSiret === actor.siret)) {
    return forbidden(
      `a financeur creates only dossiers it funds: put your SIRET ${actor.siret} among financements`,
    );
  }
  return null;
}

/**
 * Nobody takes the ids a partner will issue: its prefixes are its own. `owner` is the partner whose
 * prefix the dossierId starts with, if any.
 */
export function authorizeDossierId(
  actor: Actor,
  dossierId: string,
  owner: { siret: string; name: string; prefix: string } | null,
): DomainError | null {
  if (actor.admin || !owner || owner.siret === actor.siret) return null;
  return forbidden(
    `dossierId ${dossierId} is in the numbering of ${owner.name} (prefix ${owner.prefix}): number your dossiers with a prefix of your own`,
    { prefix: owner.prefix },
  );
}

/**
 * A search by NIR is for financeurs, and finds only the dossiers the financeur funds, not those it
 * sees through its territory: the answer is the filter the search adds (`financeur`), or the refusal.
 */
export function authorizeNirSearch(actor: Actor): DomainError | { financeur?: string } {
  if (actor.admin) return {};
  if (!isFundingKind(actor.kind)) return forbidden('searching by NIR is for financeurs');
  return { financeur: actor.siret };
}

/** Whether the console offers the NIR search to the signed-in partner. */
export function mayUseNirSearch(actor: { admin: boolean; kind?: PartnerKind | undefined }): boolean {
  return actor.admin || (actor.kind !== undefined && isFundingKind(actor.kind));
}

/** DSN months are loaded by the platform or the CDC (the Caisse des dépôts receives them). */
export function authorizeDsnLoad(actor: Actor): DomainError | null {
  if (actor.admin || actor.kind === 'CDC') return null;
  return forbidden('DSN months are loaded by the platform or the CDC');
}

/** A region's insertion file: a Region exports its own region only (others: what they see of it). */
export function authorizeRegionExport(actor: Actor, region: string): DomainError | null {
  if (actor.admin || actor.kind !== 'REGION' || actor.region === region) return null;
  return forbidden(`a Region exports its own region only (${actor.region ?? 'none'})`);
}

/** The data-quality log (refused events): the platform sees every partner's, a partner its own. */
export function rejectionScope(actor: Actor): string | null {
  return actor.admin ? null : actor.siret;
}

// ---- CEP periods (CONTRACT.md, "CEP periods") ---------------------------------------------------

/** The partner kinds that run CEP periods. */
const CEP_OPERATOR_KINDS: readonly PartnerKind[] = ['CEP_OPERATEUR', 'FRANCE_TRAVAIL'];

/**
 * A period is opened by a CEP operator (France Travail runs the CEP as its own kind), whose period
 * it is: not by the platform, which has no SIRET to make it its operator.
 */
export function authorizeCepOpen(actor: Actor): DomainError | null {
  if (actor.admin) return forbidden("a period belongs to its operator: open it with the operator's token");
  if (CEP_OPERATOR_KINDS.includes(actor.kind)) return null;
  return forbidden(`a ${actor.kind} partner cannot open CEP periods: only CEP operators do`);
}

/** A person's periods by NIR: the operators search among their own (and the platform); others 403. */
export function authorizeCepNirSearch(actor: Actor): DomainError | null {
  if (actor.admin || CEP_OPERATOR_KINDS.includes(actor.kind)) return null;
  return forbidden(`a ${actor.kind} partner has no CEP periods to search: only CEP operators do`);
}

/** A period is seen and acted on by its operator only (and the platform); others get 404. */
export function canSeePeriod(actor: Actor, operateurSiret: string): boolean {
  return actor.admin || actor.siret === operateurSiret;
}

/** An event on a period: its operator's (NOT_FOUND for anyone else: the period's existence is not told). */
export function authorizeCepEvent(actor: Actor, operateurSiret: string): DomainError | null {
  return canSeePeriod(actor, operateurSiret) ? null : { code: 'NOT_FOUND', message: 'no such period' };
}

/** Whose periods a partner's CEP figures count: all, a region's, or an operator's own. */
export type CepFiguresScope = { all: true } | { region: string } | { operateur: string };

/**
 * CEP figures (`GET /v1/stats/cep`): the platform and the State read every period's, a Region its
 * region's (figures only, never the periods), an operator its own periods'; others none (403).
 */
export function cepFiguresScope(actor: Actor): CepFiguresScope | DomainError {
  if (actor.admin || actor.kind === 'ETAT') return { all: true };
  if (actor.kind === 'REGION' && actor.region !== undefined) return { region: actor.region };
  if (CEP_OPERATOR_KINDS.includes(actor.kind)) return { operateur: actor.siret };
  return forbidden(`a ${actor.kind} partner reads no CEP figures: operators, Regions and the State do`);
}

/** What of the CEP a caller may use (the console shows its pages accordingly). */
export function cepAccess(who: {
  admin: boolean;
  kind?: PartnerKind | undefined;
  region?: string | undefined;
}): {
  periods: boolean;
  figures: boolean;
} {
  if (who.admin) return { periods: true, figures: true };
  const operator = who.kind !== undefined && CEP_OPERATOR_KINDS.includes(who.kind);
  return { periods: operator, figures: operator || who.kind === 'ETAT' || who.kind === 'REGION' };
}

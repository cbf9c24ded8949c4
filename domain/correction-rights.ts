import type { DomainError } from './codes';
import type { Actor } from './authorization';
import { isFinanceur } from './authorization';
import type { DossierState } from './dossier-state';
import { partiesOf } from './dossier-state';
import type { Financement, RectificationChanges } from './schemas';

/** Who corrects a dossier: its organisme, or one of its financeurs (the admin corrects everything). */
export type Corrector = 'organisme' | 'financeur';

/**
 * Who corrects what in a RECTIFICATION (CONTRACT.md, "Who corrects what"), one line per field a
 * correction may touch. Keyed by the fields of `RectificationChanges`, so a new correctable field
 * that lacks its rights fails `tsc`. The organisme corrects the dates, motif and hours of the
 * events it sends and its own name; a financeur of the dossier everything it may, plus the
 * trainee, the action (region included) and the financing lines, its own and new co-financeurs'
 * (another financeur's line needs that financeur: `financementRights`), and who pays the trainee.
 */
export const CORRECTION_RIGHTS: {
  [K in keyof RectificationChanges]-?: K extends 'financements'
    ? 'by line'
    : NonNullable<RectificationChanges[K]> extends string
      ? readonly Corrector[]
      : Record<keyof NonNullable<RectificationChanges[K]>, readonly Corrector[]>;
} = {
  dates: {
    creation: ['financeur'],
    validation: ['financeur'],
    entree: ['organisme', 'financeur'],
    sortie: ['organisme', 'financeur'],
    cloture: ['financeur'],
  },
  stagiaire: { nom: ['financeur'], prenom: ['financeur'], dateNaissance: ['financeur'] },
  organisme: { raisonSociale: ['organisme', 'financeur'] },
  action: {
    intitule: ['financeur'],
    dispositif: ['financeur'],
    objectif: ['financeur'],
    certification: ['financeur'],
    nsf: ['financeur'],
    region: ['financeur'],
    departement: ['financeur'],
    qpv: ['financeur'],
    dateDebutPrevue: ['financeur'],
    dateFinPrevue: ['financeur'],
    dureeHeures: ['financeur'],
  },
  sortie: { motif: ['organisme', 'financeur'], heuresRealisees: ['organisme', 'financeur'] },
  financements: 'by line',
  remunerateurSiret: ['financeur'],
};

const sameLine = (a: Financement, b: Financement) =>
  a.montantEngage === b.montantEngage && (a.montantRealise ?? null) === (b.montantRealise ?? null);

/**
 * The financing lines a financeur may not set: another financeur's line removed or changed (its
 * own line and new co-financeurs' lines are its to set). The organisme sets none.
 */
export function financementRights(
  corrector: Corrector,
  self: string,
  before: readonly Financement[],
  after: readonly Financement[],
): string[] {
  if (corrector === 'organisme') return ['financements'];
  const next = new Map(after.map((f) => [f.financeurSiret, f]));
  return before
    .filter((f) => f.financeurSiret !== self)
    .filter((f) => {
      const line = next.get(f.financeurSiret);
      return line === undefined || !sameLine(f, line);
    })
    .map((f) => `financements[${f.financeurSiret}]`);
}

/** The fields a correction touches, as `group.field` paths (`financements` as a whole). */
export function touchedFields(changes: RectificationChanges): string[] {
  const fields: string[] = [];
  for (const [group, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (group === 'financements' || typeof value !== 'object') fields.push(group);
    else
      for (const [k, v] of Object.entries(value as object)) if (v !== undefined) fields.push(`${group}.${k}`);
  }
  return fields;
}

/**
 * FORBIDDEN, with the fields in `details`, when the correction touches a field its sender may not
 * correct. Called after `authorizeEvent`: the sender is the admin, a financeur or the organisme.
 */
export function authorizeCorrection(
  actor: Actor,
  state: DossierState,
  changes: RectificationChanges,
): DomainError | null {
  if (actor.admin) return null;
  const corrector: Corrector = isFinanceur(actor, partiesOf(state)) ? 'financeur' : 'organisme';
  const refused: string[] = [];
  for (const field of touchedFields(changes)) {
    if (field === 'financements') {
      refused.push(...financementRights(corrector, actor.siret, state.financements, changes.financements!));
      continue;
    }
    const [group, key] = field.split('.') as [keyof typeof CORRECTION_RIGHTS, string | undefined];
    const rights =
      key === undefined
        ? (CORRECTION_RIGHTS[group] as readonly Corrector[])
        : (CORRECTION_RIGHTS[group] as Record<string, readonly Corrector[]>)[key];
    if (!rights?.includes(corrector)) refused.push(field);
  }
  if (refused.length === 0) return null;
  const who = corrector === 'organisme' ? "the dossier's organisme" : 'this financeur';
  return {
    code: 'FORBIDDEN',
    message: `${who} may not correct ${refused.join(', ')}: see "Who corrects what" in the contract`,
    details: refused.map((f) => ({
      path: `changes.${f}`,
      message: f.startsWith('financements[')
        ? "another financeur's line is corrected by that financeur"
        : corrector === 'organisme'
          ? 'corrected by a financeur of the dossier'
          : 'not correctable by this financeur',
    })),
  };
}

/**
 * A VALIDATION's `financements` replaces the list (CONTRACT.md): another financeur's line stays as
 * it is there too, as in a correction ("removing or changing another financeur's line needs that
 * financeur"). FORBIDDEN with those lines in `details`.
 */
export function authorizeValidationLines(
  actor: Actor,
  state: DossierState,
  lines: readonly Financement[],
): DomainError | null {
  if (actor.admin) return null;
  const refused = financementRights('financeur', actor.siret, state.financements, lines);
  if (refused.length === 0) return null;
  return {
    code: 'FORBIDDEN',
    message: `this financeur may not change ${refused.join(', ')}: another financeur's line is changed by that financeur`,
    details: refused.map((f) => ({
      path: f,
      message: "another financeur's line is changed by that financeur",
    })),
  };
}

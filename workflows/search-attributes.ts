import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { CepState } from '../domain/cep-state';
import type { DossierState } from '../domain/dossier-state';

/** The custom search attributes of CONTRACT.md: business keys only, never personal data. */
export const SA = {
  status: defineSearchAttributeKey('DossierStatus', 'KEYWORD'),
  financeurs: defineSearchAttributeKey('FinanceurSirets', 'KEYWORD_LIST'),
  organisme: defineSearchAttributeKey('OrganismeSiret', 'KEYWORD'),
  region: defineSearchAttributeKey('Region', 'KEYWORD'),
  dispositif: defineSearchAttributeKey('Dispositif', 'KEYWORD'),
  dateSortie: defineSearchAttributeKey('DateSortie', 'DATETIME'),
} as const;

/** A CEP period's own attributes (CONTRACT.md, "CEP periods"; Region is shared with the dossiers). */
export const CEP_SA = {
  statut: defineSearchAttributeKey('CepStatut', 'KEYWORD'),
  operateur: defineSearchAttributeKey('OperateurSiret', 'KEYWORD'),
} as const;

const CLI_TYPE = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList', DATETIME: 'Datetime' } as const;

/** Names and types, as `temporal operator search-attribute create` takes them (derived from SA). */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'KeywordList' | 'Datetime'> =
  Object.fromEntries([...Object.values(SA), ...Object.values(CEP_SA)].map((k) => [k.name, CLI_TYPE[k.type]]));

export function searchAttributesOf(state: DossierState): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA.status, value: state.status },
    { key: SA.financeurs, value: state.financements.map((f) => f.financeurSiret) },
    { key: SA.organisme, value: state.organisme.siret },
    { key: SA.region, value: state.action.region },
    { key: SA.dispositif, value: state.action.dispositif },
  ];
  if (state.dates.sortie)
    pairs.push({ key: SA.dateSortie, value: new Date(`${state.dates.sortie}T00:00:00Z`) });
  return pairs;
}

/** The updates that take `before`'s attributes to `after`'s: the changed ones, and null for those gone. */
function changes(before: SearchAttributePair[], after: SearchAttributePair[]): SearchAttributeUpdatePair[] {
  const old = new Map(before.map((p) => [p.key.name, JSON.stringify(p.value)]));
  const updates: SearchAttributeUpdatePair[] = after.filter(
    (p) => old.get(p.key.name) !== JSON.stringify(p.value),
  );
  const now = new Set(after.map((p) => p.key.name));
  for (const p of before)
    if (!now.has(p.key.name)) updates.push({ key: p.key, value: null } as SearchAttributeUpdatePair);
  return updates;
}

/** The updates that take the attributes of `before` to those of `after`; empty when nothing changed. */
export const searchAttributeChanges = (
  before: DossierState,
  after: DossierState,
): SearchAttributeUpdatePair[] => changes(searchAttributesOf(before), searchAttributesOf(after));

/** A CEP period's attributes: its status, its operator, its region. */
export function cepSearchAttributesOf(state: CepState): SearchAttributePair[] {
  return [
    { key: CEP_SA.statut, value: state.statut },
    { key: CEP_SA.operateur, value: state.operateurSiret },
    { key: SA.region, value: state.region },
  ];
}

export const cepSearchAttributeChanges = (before: CepState, after: CepState): SearchAttributeUpdatePair[] =>
  changes(cepSearchAttributesOf(before), cepSearchAttributesOf(after));

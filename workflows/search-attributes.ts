import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import { defineSearchAttributeKey } from '@temporalio/common';
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

const CLI_TYPE = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList', DATETIME: 'Datetime' } as const;

/** Names and types, as `temporal operator search-attribute create` takes them (derived from SA). */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'KeywordList' | 'Datetime'> =
  Object.fromEntries(Object.values(SA).map((k) => [k.name, CLI_TYPE[k.type]]));

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

/** The updates that take the attributes of `before` to those of `after`; empty when nothing changed. */
export function searchAttributeChanges(
  before: DossierState,
  after: DossierState,
): SearchAttributeUpdatePair[] {
  const old = new Map(searchAttributesOf(before).map((p) => [p.key.name, JSON.stringify(p.value)]));
  const updates: SearchAttributeUpdatePair[] = searchAttributesOf(after).filter(
    (p) => old.get(p.key.name) !== JSON.stringify(p.value),
  );
  if (before.dates.sortie && !after.dates.sortie) updates.push({ key: SA.dateSortie, value: null });
  return updates;
}

import type { Actor, VisibilityClause } from '../domain/authorization';
import { visibility } from '../domain/authorization';
import { RegionCode } from '../domain/codes';
import type { ListQuery } from '../domain/schemas';

/**
 * The SQL of domain/authorization.ts's `visibility` and of the list's filters, for the tables that
 * carry a dossier's parties (`dossiers`, `dossier_facts`: the same column names). The rule itself
 * is not written here: each clause is translated, so a new visibility rule is written once.
 */

/** How a value enters the SQL: a bind parameter (`?`), or a checked literal (COPY takes no parameters). */
export interface SqlValues {
  value(v: string): string;
}

/** Bind parameters, collected in order. */
export class Params implements SqlValues {
  readonly list: unknown[] = [];
  value(v: unknown): string {
    this.list.push(v);
    return '?';
  }
}

const SIRET = /^\d{14}$/;

/** Literals, for COPY: only a SIRET or a region code, checked against its strict format first. */
export const literals: SqlValues = {
  value(v: string): string {
    if (!SIRET.test(v) && !RegionCode.safeParse(v).success)
      throw new Error(`not a SIRET nor a region code: ${v}`);
    return `'${v}'`;
  },
};

function clauseSql(
  clause: VisibilityClause,
  col: (name: string) => string,
  values: SqlValues,
  contains = false,
): string {
  switch (clause.party) {
    case 'organisme':
      return `${col('organisme_siret')} = ${values.value(clause.siret)}`;
    case 'financeur':
      // `@>` is what a GIN index on the array answers (the change feed has one).
      return contains
        ? `${col('financeur_sirets')} @> array[${values.value(clause.siret)}]::varchar(14)[]`
        : `${values.value(clause.siret)} = any(${col('financeur_sirets')})`;
    case 'remunerateur':
      return `${col('remunerateur_siret')} = ${values.value(clause.siret)}`;
    case 'region':
      return `${col('region')} = ${values.value(clause.region)}`;
  }
}

/**
 * The condition "the actor sees this dossier", for a table aliased `alias` (or unaliased: '').
 * `true` for the platform.
 */
export function visibleSql(
  actor: Actor,
  alias: string,
  values: SqlValues,
  opts: { beyondPay?: boolean; arrayContains?: boolean } = {},
): string {
  const v = visibility(actor);
  if (v.all) return 'true';
  const col = (name: string) => (alias ? `${alias}.${name}` : name);
  // The amounts funded and the employment are not the remunerator's to read (CONTRACT.md,
  // "Trainee remuneration"): it sees a dossier to pay the trainee, nothing beyond.
  const clauses = opts.beyondPay ? v.anyOf.filter((c) => c.party !== 'remunerateur') : v.anyOf;
  return `(${clauses.map((c) => clauseSql(c, col, values, opts.arrayContains)).join(' or ')})`;
}

export type DossierFilters = Pick<ListQuery, 'status' | 'financeur' | 'organisme' | 'region' | 'dispositif'>;

/** The visibility and the list's filters, as the conditions of a WHERE (joined with `and`). */
export function dossierWhere(
  actor: Actor,
  q: DossierFilters,
  alias: string,
  params: Params,
  opts: { beyondPay?: boolean } = {},
): string[] {
  const col = (name: string) => (alias ? `${alias}.${name}` : name);
  const where = actor.admin ? [] : [visibleSql(actor, alias, params, opts)];
  if (q.status) where.push(`${col('status')} = ${params.value(q.status)}`);
  if (q.financeur) where.push(`${params.value(q.financeur)} = any(${col('financeur_sirets')})`);
  if (q.organisme) where.push(`${col('organisme_siret')} = ${params.value(q.organisme)}`);
  if (q.region) where.push(`${col('region')} = ${params.value(q.region)}`);
  if (q.dispositif) where.push(`${col('dispositif')} = ${params.value(q.dispositif)}`);
  return where;
}

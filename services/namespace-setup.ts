import type { Client, ConnectionLike } from '@temporalio/client';
import protos from '@temporalio/proto';
import { SCHEDULES, ensureSchedules, scheduleCommand } from './schedules';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../workflows/search-attributes';

const { temporal } = protos;
const IVT = temporal.api.enums.v1.IndexedValueType;
const TYPE_OF = {
  Keyword: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: IVT.INDEXED_VALUE_TYPE_DATETIME,
} as const;

/**
 * What the platform needs of a namespace's retention: a day at least, so that a finished
 * workflow is still there for the sweeper and for operators the day after (the platform's record
 * does not depend on it: PostgreSQL keeps it for years).
 */
export const MIN_RETENTION_DAYS = 1;

/** gRPC codes that mean "not allowed here" (not "try again"). */
const NOT_ALLOWED = new Set([7, 12, 16]); // PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED
const code = (e: unknown): number | undefined =>
  (e as { code?: number }).code ?? (e as { cause?: { code?: number } }).cause?.code;
/** A refusal of these credentials (not a server away). */
export const isNotAllowed = (e: unknown): boolean => NOT_ALLOWED.has(code(e) ?? -1);

/** The custom search attributes the namespace lacks (null: the credentials may not list them). */
export async function missingSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<string[] | null> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).filter((name) => !existing.customAttributes?.[name]);
  } catch (e) {
    if (isNotAllowed(e)) return null;
    throw e;
  }
}

/** Add the custom search attributes the namespace lacks (idempotent); the names added. */
export async function registerSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS).filter((n) => !existing.customAttributes?.[n]);
  await addSearchAttributes(connection, namespace, missing);
  return missing;
}

async function addSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
  names: string[],
): Promise<void> {
  if (names.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(names.map((n) => [n, TYPE_OF[SEARCH_ATTRIBUTE_DEFINITIONS[n]!]])),
  });
}

export interface SetupReport {
  namespace: string;
  searchAttributes: { added: string[]; present: string[] };
  schedules: 'ensured' | 'not allowed';
  retentionDays: number | null;
  /** What could not be done or is not as it should be; empty when the namespace is ready. */
  problems: string[];
  /** The exact commands an operator with the rights must run. */
  commands: string[];
}

/**
 * Make a namespace ready for the platform (`npx agora setup`, `npm start` on a cluster of one's
 * own): its search attributes, the Schedules, and its retention checked. Idempotent. Where the
 * credentials do not allow a step (Temporal Cloud without admin rights), the report lists the
 * exact `temporal` / `tcld` commands instead.
 */
export async function setupNamespace(opts: {
  connection: ConnectionLike;
  client: Client;
  namespace: string;
  taskQueue: string;
}): Promise<SetupReport> {
  const { connection, client, namespace, taskQueue } = opts;
  const report: SetupReport = {
    namespace,
    searchAttributes: { added: [], present: [] },
    schedules: 'ensured',
    retentionDays: null,
    problems: [],
    commands: [],
  };

  const missing = await missingSearchAttributes(connection, namespace);
  const all = Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS);
  const toAdd = missing ?? all;
  report.searchAttributes.present = all.filter((n) => !toAdd.includes(n));
  if (toAdd.length > 0) {
    try {
      await addSearchAttributes(connection, namespace, toAdd);
      report.searchAttributes.added = toAdd;
    } catch (e) {
      if (!isNotAllowed(e) && !/already exists/i.test(String(e))) throw e;
      if (/already exists/i.test(String(e))) report.searchAttributes.present = all;
      else {
        report.problems.push(
          `the search attributes ${toAdd.join(', ')} could not be registered: ${String(e)}`,
        );
        for (const n of toAdd) {
          const type = SEARCH_ATTRIBUTE_DEFINITIONS[n]!;
          report.commands.push(
            `temporal operator search-attribute create --namespace ${namespace} --name ${n} --type ${type}`,
          );
          report.commands.push(
            `tcld namespace search-attributes add --namespace ${namespace} --search-attribute "${n}=${type}"`,
          );
        }
      }
    }
  }

  try {
    await ensureSchedules(client, taskQueue);
  } catch (e) {
    if (!isNotAllowed(e)) throw e;
    report.schedules = 'not allowed';
    report.problems.push(`the Schedules could not be created: ${String(e)}`);
    for (const s of SCHEDULES) report.commands.push(scheduleCommand(s, namespace, taskQueue));
  }

  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    const ttl = described.config?.workflowExecutionRetentionTtl?.seconds;
    report.retentionDays = ttl === undefined || ttl === null ? null : Number(ttl) / 86_400;
    if (report.retentionDays !== null && report.retentionDays < MIN_RETENTION_DAYS) {
      report.problems.push(
        `the namespace keeps finished workflows ${report.retentionDays} day(s): the platform needs ${MIN_RETENTION_DAYS} at least`,
      );
      report.commands.push(
        `temporal operator namespace update --namespace ${namespace} --retention ${MIN_RETENTION_DAYS * 24}h`,
      );
    }
  } catch (e) {
    if (!isNotAllowed(e)) throw e;
  }
  return report;
}

/** The report as an operator reads it: what was done, then what is left and the commands. */
export function describeSetup(report: SetupReport): string {
  const { namespace, searchAttributes: sa } = report;
  const lines = [
    `namespace ${namespace}`,
    `  search attributes: ${sa.added.length ? `added ${sa.added.join(', ')}` : 'all present'}`,
    `  schedules: ${report.schedules}`,
    `  retention: ${report.retentionDays === null ? 'unknown (not readable with these credentials)' : `${report.retentionDays} day(s)`}`,
  ];
  if (report.problems.length) {
    lines.push('', 'Not ready:', ...report.problems.map((p) => `  - ${p}`));
    lines.push('', 'Run, with the rights to do it:', ...report.commands.map((c) => `  ${c}`));
  } else lines.push('', 'ready');
  return lines.join('\n');
}

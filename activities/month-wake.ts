import type { Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ContractLine } from '../domain/best-job';
import { stateOfRecord } from '../domain/dossier-view';
import { dossierPlan, loadsTaken, seenDigest, takeLoad } from '../domain/situations';
import type { PendingLoad } from '../db/dossier-read-model';
import { upsertDossier } from '../db/dossier-read-model';
import type { dossierRecordsUsingMonth } from '../db/dsn-lookup';

/** Records of a page written at once by the wake-up (connections of the pool). */
const WRITE_CONCURRENCY = 8;

type RecordRow = Awaited<ReturnType<typeof dossierRecordsUsingMonth>>[number];

/**
 * The month's wake-up, set-based: the situations a load gives every dossier of a page, computed
 * from its record by the workflow's own rule (domain/situations.ts `takeLoad`) and written to the
 * record at once, as its next version, before the dossier's workflow takes the load. The record
 * then answers within seconds of the load, whatever the pace of the workflows; each workflow takes
 * the load afterwards from its signal, on the same day and with the same time (the version is the
 * record's already: nothing to write; workflows/dossier-entity.ts `onMonthLoaded`).
 *
 * Written only where nothing else is under way: no load pending already, no partner event in
 * flight (its intent), the record still at the version read (db/dossier-read-model.ts, the wake
 * guard). The others take the load the usual way, from their signal. Until its workflow takes it,
 * the load stays pending on the record (`pending_load`, cleared once the signal is sent): a state
 * of the workflow that has not taken it is held back, and its writer has the workflow take it
 * first (services/pending-loads.ts).
 * How many were written.
 */
export async function writeAhead(
  em: () => EntityManager,
  page: readonly RecordRow[],
  load: { mois: string; version: number },
  open: (sealed: Buffer) => string,
  now: Date = new Date(),
): Promise<number> {
  const at = now.toISOString();
  const today = at.slice(0, 10);
  const writes: (() => Promise<boolean>)[] = [];
  for (const row of page) {
    if (row.lines === null || row.pending_load !== null || row.nir_sealed === null) continue;
    const lines: ContractLine[] = row.lines;
    const state = stateOfRecord(row.data, open(row.nir_sealed));
    const situations = takeLoad(state.situations, dossierPlan(state.dates), { ...load, lines }, today);
    // (Compared whatever the order of their keys: the record's come back from jsonb.)
    if (seenDigest(situations) === seenDigest(state.situations)) continue;
    // A workflow that took the load as here passes the record's guard: the points on its month took it.
    if ((loadsTaken(situations)[load.mois] ?? Number.MAX_SAFE_INTEGER) < load.version) continue;
    const base = Number(row.version);
    const pending: PendingLoad = { ...load, base, today, at, seen: seenDigest(situations) };
    writes.push(async () => {
      const { written } = await upsertDossier(
        em(),
        { ...state, situations, version: base + 1, updatedAt: at },
        { hash: row.nir_hash, sealed: row.nir_sealed },
        undefined,
        [],
        pending,
      );
      return written;
    });
  }
  let written = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(WRITE_CONCURRENCY, writes.length) }, async () => {
      for (let i = next++; i < writes.length; i = next++) if (await writes[i]!()) written++;
    }),
  );
  return written;
}

/**
 * Of these workflows signalled (in the order they were), the ones whose signal is not taken in yet:
 * the wake-up's pace when the record no longer tells (the situations written ahead). A few of them,
 * evenly spread from the oldest, are described (a pending workflow task: not yet); task queues run
 * roughly in order, so those signalled after the first still busy are counted busy too.
 */
export function workflowsStillBusy(client: Client, workflowId: (id: string) => string, samples = 8) {
  return async (ids: string[]): Promise<string[]> => {
    if (ids.length === 0) return [];
    const at = [
      ...new Set(Array.from({ length: samples }, (_, k) => Math.floor((k * ids.length) / samples))),
    ];
    const busy = await Promise.all(
      at.map(async (i) => {
        try {
          const { raw } = await client.workflow.getHandle(workflowId(ids[i]!)).describe();
          return raw.pendingWorkflowTask != null;
        } catch {
          return false; // ended, or not there: nothing to wait for
        }
      }),
    );
    const first = busy.indexOf(true);
    return first === -1 ? [] : ids.slice(at[first]);
  };
}

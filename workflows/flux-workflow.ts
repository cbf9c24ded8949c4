import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// A share of 200,000 lines runs for minutes; it heartbeats after each answer (a line takes at
// most an Update's deadline, 20 s), so a share whose worker died is retried within 45 s, and it
// resumes at its first line without an answer. Retried as long as it takes (a
// dependency away: Temporal, PostgreSQL), never lost.
const { runFluxLot, finishFlux } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '45 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

export interface FluxInput {
  fluxId: string;
  lots: number;
}

/**
 * A partner file (`POST /v1/flux`): its shares in parallel, each one the lines of its dossiers in
 * file order; then the file is marked done. The lines and their answers stay in PostgreSQL (they
 * carry personal data): the history holds the file's id and counts only.
 */
export async function fluxWorkflow(input: FluxInput): Promise<{ lignes: number }> {
  const done = await Promise.all(
    Array.from({ length: input.lots }, (_, lot) =>
      runFluxLot({ fluxId: input.fluxId, lot, lots: input.lots }),
    ),
  );
  await finishFlux({ fluxId: input.fluxId });
  return { lignes: done.reduce((n, d) => n + d.lignes, 0) };
}

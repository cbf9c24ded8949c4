import {
  condition,
  defineSignal,
  defineUpdate,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { SA } from '../workflows/search-attributes';

/**
 * The baseline: a trivial workflow answering Updates, to measure the engine's own ceiling. With
 * `status`, the Update also sets a search attribute, as a dossier's event does when its status
 * changes (the engine's ceiling for an Update that operators' queries must see).
 */
export const rawUpdate = defineUpdate<number, [{ n: number; status?: string }]>('raw');

export async function rawWorkflow(): Promise<void> {
  let count = 0;
  setHandler(
    rawUpdate,
    ({ n, status }) => {
      if (status !== undefined) upsertSearchAttributes([{ key: SA.status, value: status }]);
      return (count += n);
    },
    { validator: ({ n }) => void (n >= 0 || undefined) },
  );
  await condition(() => false);
}

/** The baseline of a wake-up: a signal that only counts. */
export const rawSignal = defineSignal('rawSignal');

/** A workflow that waits for signals, as a period waits on its follow-up. */
export async function rawSignalledWorkflow(): Promise<void> {
  let signals = 0;
  setHandler(rawSignal, () => void signals++);
  await condition(() => signals < 0);
}

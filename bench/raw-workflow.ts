import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/** The baseline: a trivial workflow answering Updates, to measure the engine's own ceiling. */
export const rawUpdate = defineUpdate<number, [{ n: number }]>('raw');

export async function rawWorkflow(): Promise<void> {
  let count = 0;
  setHandler(rawUpdate, ({ n }) => (count += n), { validator: ({ n }) => void (n >= 0 || undefined) });
  await condition(() => false);
}

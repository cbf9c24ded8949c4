import { Client, Connection } from '@temporalio/client';

/**
 * Deletes every closed workflow run of the test server soon after it closes, as a namespace's
 * retention does days later in production: no test can depend on a finished workflow by accident
 * (the record in PostgreSQL must answer). Returns a stop function.
 */
export async function startReaper(address: string, everyMs = 2000): Promise<() => Promise<void>> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    try {
      for await (const w of client.workflow.list({ query: `ExecutionStatus != 'Running'` })) {
        if (stopped) return;
        await client.workflowService
          .deleteWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId: w.workflowId, runId: w.runId },
          })
          .catch(() => undefined);
      }
    } catch {
      // The server is starting or stopping: the next sweep tries again.
    }
  };
  const timer = setInterval(() => {
    running = running.then(sweep);
  }, everyMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    await connection.close();
  };
}

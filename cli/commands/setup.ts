import { describeSetup, setupNamespace } from '../../services/namespace-setup';
import { type Command, env, print, withClient } from '../context';

export const setup: Command = async ({ json }) => {
  return withClient(async (client) => {
    const report = await setupNamespace({
      connection: client.connection,
      client,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
    });
    print(report, json, () => describeSetup(report));
    return report.problems.length ? 1 : 0;
  });
};

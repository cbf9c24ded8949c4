import { spawnSync } from 'node:child_process';
import { inject } from 'vitest';

/** `temporal workflow <command> -w <id> --output json` against the test server, as an operator runs it. */
export function temporalJson(command: 'show' | 'describe', workflowId: string): string {
  const r = spawnSync(inject('temporalCli'), [
    'workflow',
    command,
    '--address',
    inject('temporalAddress'),
    '-w',
    workflowId,
    '--output',
    'json',
  ]);
  if (r.status !== 0) throw new Error(`temporal workflow ${command} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

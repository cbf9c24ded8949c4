import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, ROOT } from '../infra/paths';

// Everything a test needs (Temporal binaries, PostgreSQL, the test database, one dev server,
// the workflow bundle) is set up by test/helpers/global-setup.ts; this wrapper adds a summary line.
const out = join(DATA_DIR, 'test', 'results.json');
mkdirSync(join(DATA_DIR, 'test'), { recursive: true });
rmSync(out, { force: true });
const r = spawnSync(
  process.execPath,
  [
    join(ROOT, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    // `npm run test:faults` (test/faults): the files `npm test` leaves out (vitest.config.ts).
    env: process.argv.slice(2).some((a) => a.startsWith('test/faults'))
      ? { ...process.env, AGORA_TEST_FAULTS: '1' }
      : process.env,
  },
);
if (existsSync(out)) {
  const res = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
  };
  console.log(
    `\nvitest: ${res.numPassedTests} passed, ${res.numFailedTests} failed, ${res.numPendingTests} skipped`,
  );
}
process.exit(r.status ?? 1);

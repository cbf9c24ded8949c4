import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder: the nearest folder holding a `package.json` above this module, which
 * is `infra/` when run from source and `.build/` when the process runs a compiled entry point
 * (scripts/bootstrap.mjs).
 */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The project's root folder and its local state folders. */
export const ROOT = projectRoot();
/**
 * Where `npm start` keeps its state (keys, Temporal's database, exports): `.data/`, or
 * `AGORA_DATA_DIR` (read here, before any configuration: every script and process needs it first).
 */
export const DATA_DIR = process.env.AGORA_DATA_DIR || join(ROOT, '.data');
export const TOOLS_DIR = join(ROOT, '.tools');

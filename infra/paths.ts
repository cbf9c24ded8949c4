import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder and its local state folders. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Where `npm start` keeps its state (keys, Temporal's database, exports): `.data/`, or
 * `AGORA_DATA_DIR` (read here, before any configuration: every script and process needs it first).
 */
export const DATA_DIR = process.env.AGORA_DATA_DIR || join(ROOT, '.data');
export const TOOLS_DIR = join(ROOT, '.tools');

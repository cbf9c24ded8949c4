import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder and its local state folders. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = join(ROOT, '.data');
export const TOOLS_DIR = join(ROOT, '.tools');

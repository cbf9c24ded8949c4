import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from './paths';

/** A secret `npm start` keeps in .data/, or null when it never made one. */
export function existingSecret(name: 'admin-token' | 'data-key'): string | null {
  const file = join(DATA_DIR, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/**
 * A secret kept in .data/ (mode 600), made on first use: what `npm start` uses when the env
 * leaves it unset. Only `npm start` makes keys: every other command uses `existingSecret`.
 */
export function localSecret(name: 'admin-token' | 'data-key', make: () => string): string {
  const file = join(DATA_DIR, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(DATA_DIR, { recursive: true });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

export const makeAdminToken = () => `aga_${randomBytes(32).toString('base64url')}`;
export const makeDataKey = () => randomBytes(32).toString('base64');

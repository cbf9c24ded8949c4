// Entry point of `npm start`, `npm test` and the CLI on a fresh clone: installs the npm
// dependencies when missing or stale, then runs the TypeScript script through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  console.log('[agora] installing npm dependencies (npm ci)');
  // Offline but for the registry: no install script reports anywhere (swagger-ui-dist's Scarf
  // postinstall is also off in package.json's scarfSettings).
  const env = { ...process.env, SCARF_ANALYTICS: 'false', DO_NOT_TRACK: '1' };
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const [script, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], join(root, script), ...rest];
const { register } = await import('tsx/esm/api');
register();
await import(pathToFileURL(join(root, script)).href);

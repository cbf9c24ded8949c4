// Entry point of `npm start`, `npm test` and the CLI on a fresh clone: installs the npm
// dependencies when missing or stale, then runs the TypeScript script: compiled for the services,
// through tsx for the rest.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The services' entry points: compiled before they run (below); any other script runs through tsx. */
const COMPILED = new Set(['worker/main.ts', 'api/server.ts']);
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
const [given, ...rest] = process.argv.slice(2);
// `worker/main.ts`, `./worker/main.ts` or its absolute path: the same script.
const script = relative(root, resolve(root, given)).split(sep).join('/');
process.argv = [process.argv[0], join(root, script), ...rest];
const compiled = COMPILED.has(script) ? await compile(script) : null;
if (compiled) {
  // The long-running processes run their TypeScript compiled ahead of time into one file, not
  // through tsx: its loader and the source maps it keeps of every module cost the worker some
  // 30 MiB of memory for good (docs/PERFORMANCE.md, "Worker memory, session 14").
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, script)).href);
}

/**
 * The entry point and the project's modules it imports bundled into `.build/` (esbuild, about
 * 0.1 s), the packages left to node_modules. Written under a name of its own, then renamed: several
 * processes may start at once. Null, said on stderr, where it cannot be written (a read-only
 * install): the service then runs through tsx, as other scripts do.
 */
async function compile(entry) {
  const esbuild = await import('esbuild');
  const out = join(root, '.build', entry.replace(/\.ts$/, '.mjs').replaceAll('/', '-'));
  const tmp = `${out}.${randomUUID()}.tmp`;
  try {
    mkdirSync(dirname(out), { recursive: true });
    await esbuild.build({
      entryPoints: [join(root, entry)],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // Errors logged name the functions they went through.
      keepNames: true,
      logLevel: 'error',
    });
    renameSync(tmp, out);
    return out;
  } catch (err) {
    console.error(
      `[agora] ${entry} not compiled into ${dirname(out)} (${err.message}): run through tsx instead`,
    );
    return null;
  } finally {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Its folder is not there either.
    }
    // esbuild's service process would otherwise stay alive beside the service, with its memory.
    await esbuild.stop();
  }
}

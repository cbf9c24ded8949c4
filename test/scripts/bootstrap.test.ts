import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';

/** The bootstrap runs the services compiled (scripts/bootstrap.mjs), whatever way their path is written. */
describe('the bootstrap', () => {
  it('runs a service compiled into .build/, its path written relative or not', () => {
    for (const entry of ['api/server.ts', './api/server.ts', join(ROOT, 'api/server.ts')]) {
      // A configuration the API refuses: it stops at once, its stack naming the file it ran.
      const run = spawnSync(process.execPath, [join(ROOT, 'scripts/bootstrap.mjs'), entry], {
        cwd: ROOT,
        env: { ...process.env, AGORA_ADMIN_TOKEN: 'short', PORT: '0' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).not.toBe(0);
      expect(run.stderr).toContain('AGORA_ADMIN_TOKEN must be at least 32 characters');
      expect(run.stderr, entry).toContain(join(ROOT, '.build', 'api-server.mjs'));
      expect(run.stderr).not.toContain('not compiled');
    }
  });

  it('is what npm runs in place of its shell: a SIGTERM npm forwards stops the stack, none orphaned', () => {
    // `sh -c "node …"` leaves node behind when npm and its shell get a SIGTERM (a process manager
    // stopping `npm start`): `exec` makes node the process npm forwards the signal to.
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const viaBootstrap = Object.entries(scripts).filter(([, cmd]) => cmd.includes('scripts/bootstrap.mjs'));
    expect(viaBootstrap.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'test', 'bench']));
    for (const [name, cmd] of viaBootstrap) expect(cmd, name).toMatch(/^exec node scripts\/bootstrap\.mjs /);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium, driven by playwright-core in the browser tests. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Install Debian's `chromium` package when missing (as root, or through passwordless sudo); a
 * no-op when present. Returns the path, or throws saying how to install it by hand.
 */
export function ensureChromium(log: (msg: string) => void = console.log): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  log('installing Chromium from Debian packages for the browser tests (apt-get install chromium)');
  const asRoot = process.getuid?.() === 0;
  const apt = (args: string[]) =>
    spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let r = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  if (r.status !== 0) {
    apt(['update']);
    r = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (r.status !== 0 || !existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is needed for the browser tests: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`,
    );
  }
  return CHROMIUM;
}

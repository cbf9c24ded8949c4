import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';

/**
 * The install reaches the package registry and nothing else: swagger-ui-dist's dependency
 * @scarf/scarf reports installs to scarf.sh from its postinstall script unless the root package
 * (or the environment) opts out (its report.js reads both).
 */
describe('the install', () => {
  it('opts out of install-time telemetry, in package.json and in the environment of npm ci', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scarfSettings?: { enabled?: boolean };
    };
    expect(pkg.scarfSettings?.enabled).toBe(false);
    const bootstrap = readFileSync(join(ROOT, 'scripts/bootstrap.mjs'), 'utf8');
    expect(bootstrap).toMatch(/SCARF_ANALYTICS: 'false'/);
    expect(bootstrap).toMatch(/DO_NOT_TRACK: '1'/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';

describe('the workflow bundle', () => {
  // Each workflow evaluates the bundle's modules when it starts or is replayed: zod's schemas
  // cost more there than the dossier's own code (domain/code-lists.ts keeps the lists it needs).
  it('holds no zod and no Node.js built-in', () => {
    const code = readFileSync(inject('workflowBundlePath'), 'utf8');
    const packages = new Set(
      [...code.matchAll(/"\.\/node_modules\/((?:@[^/"]+\/)?[^/"]+)/g)].map((m) => m[1]),
    );
    expect([...packages].sort()).toEqual([
      '@temporalio/common',
      '@temporalio/workflow',
      'long',
      'ms',
      'nexus-rpc',
    ]);
    expect(code).not.toMatch(/require\("node:/);
  });

  // The worker's bundle and this one come from the same options (worker/bundle-options.ts).
  it('encodes failures, and loads the workflow modules once per context, stacks off', () => {
    const code = readFileSync(inject('workflowBundlePath'), 'utf8');
    // Without the platform's failure converter, refusals' messages would be in clear in histories.
    expect(code).toContain('new DefaultFailureConverter({ encodeCommonAttributes: true })');
    const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
    expect([...preload.matchAll(/"(\.\/workflows\/[a-z-]+\.ts)"\)/g)].map((m) => m[1])).toEqual([
      './workflows/sandbox.ts',
      './workflows/index.ts',
    ]);
  });
});

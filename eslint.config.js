// @ts-check
import tseslint from 'typescript-eslint';

const sandboxBans = {
  patterns: [
    {
      group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'os', 'child_process', 'pg', 'pino'],
      message: 'Node built-ins and I/O libraries are not allowed in the workflow sandbox or domain/.',
    },
    { group: ['@mikro-orm/*', 'hono', 'hono/*', '@hono/*'], message: 'No database or HTTP code here.' },
    {
      group: [
        '**/db/*',
        '**/api/*',
        '**/worker/*',
        '**/cli/*',
        '**/services/*',
        '**/infra/*',
        '**/scripts/*',
      ],
      message: 'domain/ and workflows/ stay pure.',
    },
    {
      group: ['**/activities/*'],
      allowTypeImports: true,
      message: 'Import activities as types only (proxyActivities).',
    },
  ],
};

/**
 * What each folder may import (docs/ARCHITECTURE.md, "The map"): each row bans the folders its own
 * must not reach, and production code never imports scripts/ (start and test orchestration).
 */
const layer = (folders, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: folders.map((f) => `**/${f}/*`), message }] }],
});
const LAYERS = [
  [
    'infra',
    ['db', 'services', 'activities', 'workflows', 'api', 'worker', 'cli', 'scripts'],
    'infra/ is plumbing: domain/ at most.',
  ],
  [
    'db',
    ['services', 'activities', 'workflows', 'api', 'worker', 'cli', 'scripts'],
    'db/ holds SQL: domain/ and infra/ only.',
  ],
  [
    'services',
    ['activities', 'api', 'worker', 'cli', 'scripts'],
    'services/ serve the API, the CLI and the activities: never the other way.',
  ],
  [
    'activities',
    ['api', 'worker', 'cli', 'scripts'],
    'activities/ are called by workflows: no API, worker or CLI code.',
  ],
  ['api', ['activities', 'worker', 'cli', 'scripts'], 'api/ composes db/, services/ and domain/.'],
  ['worker', ['api', 'cli', 'scripts'], 'worker/ runs workflows and activities: no API or CLI code.'],
  ['cli', ['scripts'], 'Production code does not import scripts/.'],
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'bin/**', 'test-artifacts/**', '.build/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['domain/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxBans],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process in the sandbox.' },
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Not deterministic.' },
      ],
    },
  },
  ...LAYERS.map(([folder, banned, message]) => ({
    files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
    rules: layer(banned, message),
  })),
);

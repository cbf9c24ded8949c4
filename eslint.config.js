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
      group: ['**/db/*', '**/api/*', '**/worker/*', '**/cli/*'],
      message: 'domain/ and workflows/ stay pure.',
    },
    {
      group: ['**/activities/*'],
      allowTypeImports: true,
      message: 'Import activities as types only (proxyActivities).',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'bin/**', 'test-artifacts/**'] },
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
);

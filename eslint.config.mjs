// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'net', 'http', 'https', 'http2', 'crypto', 'dns', 'tls',
  'worker_threads', 'cluster', 'stream', 'zlib', 'readline', 'process', 'timers', 'events', 'buffer', 'v8', 'vm',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'db/migrations/**', 'bench/results/**', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test's describe/test return promises the runner itself awaits.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only config.ts reads the environment; everything else receives a parsed Config.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through config.ts.' }],
    },
  },
  {
    files: ['config.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'test/helpers/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read JSON responses whose shape each assertion states.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins,
    // activities by type only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((name) => [{ name, message: 'Workflows must stay deterministic: no Node built-ins.' },
            { name: `node:${name}`, message: 'Workflows must stay deterministic: no Node built-ins.' }]),
          { name: 'postgres', message: 'Workflows do no I/O; call an activity.' },
          { name: 'drizzle-orm', message: 'Workflows do no I/O; call an activity.' },
          { name: 'hono', message: 'Workflows do no I/O.' },
          { name: '@temporalio/client', message: 'Not allowed in workflow code.' },
          { name: '@temporalio/worker', message: 'Not allowed in workflow code.' },
          { name: '@temporalio/activity', message: 'Not allowed in workflow code.' },
        ],
        patterns: [
          { group: ['node:*'], message: 'Workflows must stay deterministic: no Node built-ins.' },
          { group: ['drizzle-orm/*', '@hono/*', '../db/*', '../api/*', '../worker/*'], message: 'Workflows do no I/O.' },
          { group: ['../activities/*', '../activities'], allowTypeImports: true, message: 'Import activities by type only (import type).' },
        ],
      }],
      'no-restricted-globals': ['error', 'fetch', 'setTimeout', 'setInterval', 'process'],
    },
  },
);

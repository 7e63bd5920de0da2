import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Import boundaries of STYLE.md: the domain is pure, services see ports only,
 * adapters and edges never leak inward.
 */
const driverModules = ['better-sqlite3', 'pg', 'pino', 'node:net', 'node:http', 'node:https', 'node:child_process'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/**/*.mjs', '.rotor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/server/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: driverModules,
          patterns: ['**/adapters/**', '**/http/**', '**/services/**', '**/engine/**', '**/cli/**', '**/ports/**'],
        },
      ],
    },
  },
  {
    files: ['packages/server/src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: driverModules, patterns: ['**/adapters/**', '**/http/**', '**/services/**', '**/engine/**', '**/cli/**'] },
      ],
    },
  },
  {
    files: ['packages/server/src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: driverModules, patterns: ['**/adapters/**', '**/http/**', '**/engine/**', '**/cli/**'] },
      ],
    },
  },
  {
    files: ['packages/server/src/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/http/**', '**/services/**', '**/engine/**', '**/cli/**'] }],
    },
  },
);

// ESLint flat config: typescript-eslint's recommended rules for the TS code,
// plus the core recommended rules for the few plain JS scripts, and the
// layering of src/core (below).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['node_modules/', 'build/', 'dist/', 'test-artifacts/']),
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // src/core runs in Node and in browsers alike: nothing of Node's, and
    // nothing of the layers above it. (src/core/tsconfig.json, without
    // Node's types, checks the same from the compiler's side.)
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, 'ws', 'node-pty'].map((name) => ({
            name,
            message: 'src/core runs in browsers too: take it from the platform layer instead.',
          })),
          patterns: [
            {
              group: ['node:*'],
              message: 'src/core runs in browsers too: take it from the platform layer instead.',
            },
            {
              group: ['**/tools/**', '**/node/**', '**/browser/**'],
              message:
                'src/core is the bottom layer: tools/, src/node and src/browser import it, not the reverse.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', 'global', '__dirname', '__filename'].map((name) => ({
          name,
          message: `${name} is Node's: src/core runs in browsers too.`,
        })),
        ...['window', 'document', 'navigator', 'localStorage', 'location'].map((name) => ({
          name,
          message: `${name} is the page's: src/core runs in workers and in Node too.`,
        })),
      ],
    },
  },
]);

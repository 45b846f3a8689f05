// Flat config: typescript-eslint's recommended rules on sources, tests and benches.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Architecture: core imports nothing of the other layers.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pillar-writer/**', '**/engine/**', '**/wizard/**', '**/ui/**', '**/commands/**', '**/cli.js'],
              message: 'core imports none of the other layers',
            },
            {
              group: ['node:fs', 'node:fs/*', 'node:child_process', 'yaml', 'ssh2', 'ink', 'react'],
              message: 'core is pure: no I/O, no parser, no UI',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pillar-writer/**', '**/wizard/**', '**/ui/**', '**/commands/**', '**/cli.js'],
              message: 'the engine depends on core only (the ledger comes in as an interface)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/wizard/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pillar-writer/**', '**/ui/**', '**/commands/**', '**/cli.js', 'ink', 'react'],
              message: 'the wizard is a state machine: no UI, no files (services come in as an interface)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pillar-writer/**', '**/commands/**', '**/cli.js'],
              message: 'the UI draws wizard state and calls services; it reads no files itself',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/pillar-writer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine/**', '**/wizard/**', '**/ui/**', '**/commands/**', '**/cli.js'],
              message: 'pillar-writer depends on core only',
            },
          ],
        },
      ],
    },
  },
);

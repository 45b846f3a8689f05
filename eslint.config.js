// Flat config: typescript-eslint's recommended rules on sources, tests and benches, plus the
// architecture: each folder may import only the layers below it (README, "Architecture").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The arrows hold for tests too; the purity groups (`extra`: no I/O in core…) for the code only, so a
// unit test beside its code may run a shell or read a fixture.
const layer = (folder, forbidden, message, extra = []) => {
  const files = [`src/${folder}/**/*.ts`, `src/${folder}/**/*.tsx`];
  const arrows = { group: forbidden.map((f) => (f.startsWith('**') || !f.includes('/') ? f : `**/${f}`)), message };
  return [
    { files, ignores: ['**/*.test.ts', '**/*.test.tsx'], rules: { 'no-restricted-imports': ['error', { patterns: [arrows, ...extra] }] } },
    {
      files: ['**/*.test.ts', '**/*.test.tsx'].map((t) => `src/${folder}/${t}`),
      rules: { 'no-restricted-imports': ['error', { patterns: [arrows] }] },
    },
  ];
};

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
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  ...layer(
    'core',
    ['pillar-writer/**', 'engine/**', 'process/**', 'app/**', 'wizard/**', 'ui/**', 'commands/**', 'cli.js'],
    'core imports none of the other layers',
    [
      {
        group: ['node:fs', 'node:fs/*', 'node:child_process', 'node:net', 'yaml', 'ssh2', 'ink', 'react', 'listr2'],
        message: 'core is pure: no I/O, no parser, no UI',
      },
    ],
  ),
  ...layer(
    'pillar-writer',
    ['engine/**', 'process/**', 'app/**', 'wizard/**', 'ui/**', 'commands/**', 'cli.js'],
    'pillar-writer depends on core only',
  ),
  ...layer(
    'engine',
    ['pillar-writer/**', 'process/**', 'app/**', 'wizard/**', 'ui/**', 'commands/**', 'cli.js'],
    'the engine depends on core only (the ledger comes in as an interface)',
  ),
  ...layer(
    'process',
    ['pillar-writer/**', 'engine/**', 'app/**', 'wizard/**', 'ui/**', 'commands/**', 'cli.js'],
    'process concerns (cleanup, signals, terminal, prompts) depend on core only',
  ),
  ...layer(
    'wizard',
    ['pillar-writer/**', 'engine/**', 'process/**', 'app/**', 'ui/**', 'commands/**', 'cli.js'],
    'the wizard is a state machine over core: no UI, no files (services come in as an interface)',
    [{ group: ['ink', 'react', 'node:fs', 'node:fs/*', 'enquirer'], message: 'the wizard renders nothing and reads nothing' }],
  ),
  ...layer('app', ['ui/**', 'commands/**', 'cli.js'], 'use cases know nothing of the front ends that call them'),
  ...layer(
    'ui',
    ['pillar-writer/**', 'engine/**', 'app/**', 'commands/**', 'cli.js'],
    'the UI draws wizard state and calls services; it reads no files and reaches no node itself',
  ),
  ...layer('commands', ['pillar-writer/**', 'engine/**', 'cli.js'], 'commands are thin adapters over the use cases in src/app'),
);

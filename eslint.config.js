// ESLint (flat config) for the workspace: a modest rule set whose main rule is that every package a file
// imports is declared by the package that ships the file. A published package that imports a library only
// a sibling declares works in the workspace and breaks when installed alone.
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The workspace packages (each publishes its own package.json's dependencies). */
const packages = ['spec', 'client', 'conformance', 'mock', 'reference-impl', 'sandbox'];

/** Files no package ships: tests, test helpers, benches and tools; they may use the root's devDependencies. */
const devOnly = [
  '**/*.test.ts',
  '**/testing/**',
  '**/e2e/**',
  '**/bench/**',
  '**/scripts/**',
  '**/fixtures/**',
  '**/*.contract.ts',
  '**/build.mjs',
  '**/examples/**',
];

const dependencies = (packageDir, devDependencies) => ({
  'import-x/no-extraneous-dependencies': [
    'error',
    {
      packageDir,
      devDependencies,
      optionalDependencies: false,
      peerDependencies: true,
      bundledDependencies: false,
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.cache/**',
      'docs/site/**',
      'coverage/**',
      'spec/generated/**',
      'tmp/**',
    ],
  },
  {
    files: ['**/*.{ts,mts,js,mjs}'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  // Root files (the bgr CLI, scripts, docs tooling): the root package.json.
  { files: ['*.{ts,js,mjs}', 'bin/**', 'scripts/**', 'docs/**'], rules: dependencies(['.'], true) },
  // Each package's shipped code: its own dependencies only; its dev-only files may add the root's.
  ...packages.flatMap((p) => [
    { files: [`${p}/**/*.{ts,mts,js,mjs}`], rules: dependencies([p], false) },
    { files: devOnly.map((g) => `${p}/${g}`), rules: dependencies([p, '.'], true) },
  ]),
);

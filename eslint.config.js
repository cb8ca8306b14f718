// Lint for the whole repository: what the type checker cannot see. The import graph first: an import cycle fails the
// run (a module that imports itself back runs before its imports are ready), and so does a package importing its own
// public index. Type-only imports are erased at runtime and are not cycles here.
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'bench/profiles/**', 'coverage/**'],
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2024, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: { 'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'] },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@cohort/*/src/*', '@cohort/*/dist/*'], message: 'import a package by its name and entry points, never its files' }] },
      ],
    },
  },
  {
    // A package never imports its own public index: the index is for users, and importing it from inside makes cycles.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@cohort/*/src/*', '@cohort/*/dist/*'], message: 'import a package by its name and entry points, never its files' },
            { regex: '(^|/)index\\.ts$', message: 'import the file that defines the name, not an entry point of this package' },
          ],
        },
      ],
    },
  },
  {
    // The behaviour contracts take `any` on purpose: a user's handleCall(request: MyRequest) must fit them without
    // casts, which `unknown` would not allow (parameters are checked the other way round).
    files: ['packages/core/src/actor/*.ts', 'packages/core/src/supervision/child-spec.ts', 'packages/core/src/system/process-actor.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)

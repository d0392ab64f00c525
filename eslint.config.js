// Lint: typescript-eslint's type-checked rules over every package's sources, tests and
// benchmarks, and Prettier's formatting (eslint-config-prettier turns off the rules that
// would fight it). `npm run lint` runs both, and the import-cycle test runs with the
// suite; CI runs the lint before the tests.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '.minisql/**', 'packages/common/src/generated/**', 'store/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An async function without await still turns a throw into a rejection, which the
      // callers of a Promise-returning port rely on; removing `async` would change that.
      '@typescript-eslint/require-await': 'off',
      // Methods are passed with their receiver (`required(client.add).call(client, ...)`),
      // which the rule cannot follow.
      '@typescript-eslint/unbound-method': 'off',
      // Control characters in regular expressions are how output is escaped and terminal
      // escapes are matched in tests.
      'no-control-regex': 'off',
      // A caught error is `unknown`; passing it on as it came is right.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      // `_name` marks what is there for its position or shape only.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  prettier,
);

// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '**/dist/',
      '**/.wrangler/',
      '**/worker-configuration.d.ts',
      'd1-migrations/',
      'bench/results/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Workers read configuration from Env, never process.env.',
        },
      ],
    },
  },
  {
    files: [
      'scripts/**',
      'bench/**',
      'cli/**',
      'test/e2e/**',
      'test/launcher/**',
      'test/support/**',
      '*.config.ts',
      'portal-ui/vite.config.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // Layout is the formatter's (prettier --check in npm run lint); eslint keeps to correctness.
  prettier,
);

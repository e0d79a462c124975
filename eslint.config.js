// Type-aware linting for every package (typescript-eslint's projectService finds each tsconfig).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'packages/contracts/src/gen/**',
      'bench/results/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            '*.js',
            '*.mjs',
            'scripts/*.mjs',
            'bench/*.mjs',
            'services/gateway/scripts/*.mjs',
            // Run by the containers, not built: infra/compose's tsconfig checks its .ts only.
            'infra/compose/*.mjs',
            'infra/compose/*.js',
            'infra/compose/mongo-init/*.js',
          ],
          // Eleven such files today (the default allows eight); each is small.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      eqeqeq: ['error', 'smart'],
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Adapters over synchronous drivers (better-sqlite3) are `async` without awaiting, so that
      // a validation throw becomes a rejection like in every other adapter.
      '@typescript-eslint/require-await': 'off',
      // `Promise.reject(error as Error)` turns a synchronous validation throw into a rejection.
      '@typescript-eslint/no-unnecessary-type-assertion': ['error', { typesToIgnore: ['Error'] }],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      // Tests assert on values they know are there.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The rules of a service are pure: no Node.js, no drivers, no adapters (Emmett bans node:*
    // in its core the same way). What happens when, and how it talks to the world, live beside.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'domain code does no I/O: no Node.js modules' },
            {
              group: [
                'better-sqlite3',
                'mongodb',
                'kafkajs',
                '@grpc/*',
                'fastify',
                'fastify-*',
                '@fastify/*',
                'pino',
                'jose',
                'standardwebhooks',
                '@opentelemetry/*',
                '@aman/messaging',
                '@aman/projections',
                '@aman/service-kit',
                '@aman/crypto',
                '*/adapters/*',
                '*/application/*',
                '../adapters/*',
                '../application/*',
              ],
              message: 'domain code does no I/O: no drivers, adapters or wiring',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  prettier,
);

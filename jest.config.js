// One jest run for the whole workspace. TypeScript is compiled per file by @swc/jest (ts-jest does not
// support TypeScript 7 and type-checking is `pnpm typecheck`'s job). Tiers are in the file names:
// *.unit.test.ts, *.int.test.ts, *.e2e.test.ts.

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  verbose: true,
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/infra'],
  testMatch: ['**/src/**/*.test.ts', '<rootDir>/infra/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
    // ESM-only dependencies, compiled to CommonJS for jest like our own sources.
    '^.+/node_modules/.+\\.m?js$': [
      '@swc/jest',
      { jsc: { target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: [
    '/node_modules/(?!(\\.pnpm/(jose|typebox)@[^/]+/node_modules/)?(jose|typebox)/)',
  ],
  moduleNameMapper: {
    // Workspace packages resolve to their sources, so tests need no build first.
    '^@aman/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@aman/([a-z-]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2/index.ts',
  },
  globalSetup: '<rootDir>/packages/testing/src/jest-global-setup.ts',
  globalTeardown: '<rootDir>/packages/testing/src/jest-global-teardown.ts',
  testTimeout: 60_000,
  // Two cores: one worker per core keeps infra-bound suites from starving each other.
  maxWorkers: 2,
};

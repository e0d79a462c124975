// `pnpm lint:api` (run by `pnpm lint`): builds the gateway's public API documents exactly as the
// running gateway serves them, and lints them: OpenAPI 3.1 with Redocly's recommended rules.
// Needs the build (`pnpm typecheck` first). Exits non-zero on any problem.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createConfig, lintFromString } from '@redocly/openapi-core';

import { SqliteReadModelStore } from '@aman/projections';
import { ServiceIdentity, createLogger } from '@aman/service-kit';

import { ApiKeyStore } from '../dist/adapters/keyStore.js';
import { buildApp } from '../dist/app.js';

const dir = mkdtempSync(join(tmpdir(), 'aman-api-docs-'));
const store = new SqliteReadModelStore({ path: join(dir, 'gateway.db') });
let failed;
try {
  await ServiceIdentity.load('gateway', join(dir, 'keys'));
  // No service is called: the documents are built from the routes alone.
  const nowhere = new Proxy({}, { get: () => undefined });
  const app = await buildApp({
    keys: await ApiKeyStore.open(store),
    logger: createLogger('lint-api-docs', 'silent'),
    clients: {
      intake: nowhere,
      risk: nowhere,
      referral: nowhere,
      accountability: nowhere,
      monitoring: nowhere,
      projections: nowhere,
    },
  });
  await app.ready();
  const openapi = JSON.stringify(app.swagger());
  const problems = await lintFromString({
    source: openapi,
    absoluteRef: 'openapi.json',
    config: await createConfig({ extends: ['recommended'] }),
  });
  for (const problem of problems) {
    const where = problem.location?.[0]?.pointer ?? '';
    process.stderr.write(
      `openapi.json ${problem.severity} ${problem.ruleId} ${where}: ${problem.message}\n`,
    );
  }
  failed = problems.length > 0;
  process.stdout.write(`openapi.json: ${problems.length} problems\n`);
  await app.close();
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

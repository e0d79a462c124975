import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';

// infra/local/test-ports.sh: two FerretDB servers and two Kafka brokers on ports of their own;
// stopping one of each leaves the other running (issue 6, item 7). It needs what the scripts need;
// without them the suite is skipped visibly, unless REQUIRE_INFRA=1 makes that a failure.
const script = fileURLToPath(new URL('./test-ports.sh', import.meta.url));
const tools = ['bash', 'java', 'mvn', 'go'];
const scriptTimeoutMs = 300_000;

function missingTools(): string[] {
  const found = spawnSync(
    'bash',
    ['-c', 'for t; do command -v "$t" >/dev/null || echo "$t"; done', '-', ...tools],
    {
      encoding: 'utf8',
    },
  );
  if (found.error !== undefined || found.status !== 0) return ['bash'];
  return found.stdout.split('\n').filter((tool) => tool.length > 0);
}

const missing = process.env['REQUIRE_INFRA'] === '1' ? [] : missingTools();
const name = 'infra/local scripts: instances on different ports';

if (missing.length > 0) {
  describe(`${name} [skipped: ${missing.join(', ')} not found]`, () => {
    it.skip(`needs ${tools.join(', ')} on PATH (see README, "Tests against real Kafka and MongoDB")`, () => {
      /* nothing runs */
    });
  });
} else {
  describe(name, () => {
    it(
      'start two of each, stop one, and the other stays up',
      () => {
        const run = spawnSync(script, [], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: scriptTimeoutMs,
          maxBuffer: 16 * 1024 * 1024,
        });
        const output = `${run.stdout}${run.stderr}`;
        if (run.error !== undefined || run.status !== 0) {
          // The script's own account of every check, then the servers' logs, is the useful report.
          const why = run.error?.message ?? `exit ${String(run.status ?? run.signal)}`;
          throw new Error(`${script} failed (${why}):\n${output}`);
        }
        expect(output).toContain('[test-ports] PASS');
      },
      scriptTimeoutMs + 30_000,
    );
  });
}

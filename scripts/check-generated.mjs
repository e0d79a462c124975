// Fails when packages/contracts/src/gen differs from what `buf generate` makes of proto/ now,
// i.e. when someone changed a .proto file and did not run `pnpm proto`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const generated = 'packages/contracts/src/gen';
const scratch = mkdtempSync(join(tmpdir(), 'aman-proto-'));
try {
  execFileSync('pnpm', ['exec', 'buf', 'generate', '--output', scratch], { stdio: 'inherit' });
  execFileSync('diff', ['-r', '-u', generated, join(scratch, generated)], { stdio: 'inherit' });
  console.log('generated contracts are up to date');
} catch {
  console.error(`\n${generated} is stale: run \`pnpm proto\` and commit the result.`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

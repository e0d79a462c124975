import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { NewEvent } from '../types.ts';
import { spawnTypeScript } from './processes.ts';

/**
 * Runs `crashingWriter.ts` with the adapter's arguments and SIGKILLs it once it has stopped in
 * the middle of its append. Resolves when the process is gone.
 */
export async function killMidAppend(
  adapterArgs: readonly string[],
  stream: string,
  events: readonly NewEvent[],
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aman-crash-'));
  const marker = join(dir, 'stopped');
  const child = spawnTypeScript('packages/eventstore/src/testing/crashingWriter.ts', [
    marker,
    stream,
    JSON.stringify(events),
    ...adapterArgs,
  ]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const gone = new Promise<void>((resolve) => {
    child.on('exit', () => {
      resolve();
    });
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!existsSync(marker)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the crashing writer never reached its stop: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await gone;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

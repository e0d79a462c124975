import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Starts a TypeScript file of this repository as its own Node.js process (through tsx), so tests
 * can run real concurrent writers and kill them with SIGKILL. `script` is a path relative to the
 * repository root.
 */
export function spawnTypeScript(
  script: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const root = repositoryRoot();
  // `source` resolves workspace packages to their TypeScript (package.json exports), no build needed.
  return spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', `${root}/${script}`, ...args],
    {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Resolves with the exit code; rejects with the process's stderr when it exits non-zero. */
export function exited(child: ChildProcess): Promise<number> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(0);
      else reject(new Error(`process exited with ${code ?? signal ?? 'unknown'}: ${stderr}`));
    });
  });
}

/** The nearest directory at or above the working directory that holds pnpm-workspace.yaml. */
function repositoryRoot(): string {
  let dir = process.cwd();
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('not inside the Aman repository');
    dir = parent;
  }
  return dir;
}

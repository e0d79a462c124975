import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory for one measurement's database files; `remove` drops it. */
export function freshDirectory(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'aman-bench-'));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

let databases = 0;

/** A database name no earlier measurement of any run used. */
export function freshDatabaseName(prefix: string): string {
  databases += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${databases}`;
}

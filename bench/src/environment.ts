// What a result file records besides the figures: the server, the code measured, where it goes.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { MongoClient } from 'mongodb';

/** `MongoDB 7.0.0` or `FerretDB 1.24.2, wire-compatible with MongoDB 7.0.42`. */
export async function describeMongoServer(client: MongoClient): Promise<string> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const version = typeof info['version'] === 'string' ? info['version'] : 'unknown';
  const ferretdb: unknown = info['ferretdbVersion'];
  // An embedded FerretDB build (infra/local) reports its own version as "unknown".
  return typeof ferretdb !== 'string'
    ? `MongoDB ${version}`
    : `FerretDB ${ferretdb === 'unknown' ? '(version not reported)' : ferretdb}, wire-compatible with MongoDB ${version}`;
}

const STORE_SOURCE = 'packages/eventstore';

/**
 * The commit the bench was built from, and whether the event store's sources differ from it: a
 * before/after comparison is only worth something when each figure names the code it measured.
 */
export function sourceRevision(): string {
  const cwd = fileURLToPath(new URL('.', import.meta.url));
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD');
    const root = git('rev-parse', '--show-toplevel');
    const changed = git('-C', root, 'status', '--porcelain', '--', STORE_SOURCE);
    return changed === '' ? commit : `${commit} with uncommitted changes in ${STORE_SOURCE}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function timestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Writes `content` as JSON to bench/results/<name>.json (git ignores the directory); its path. */
export function writeResultFile(name: string, content: unknown): string {
  const directory = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}${name}.json`;
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}

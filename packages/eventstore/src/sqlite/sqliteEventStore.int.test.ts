import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { eventStoreContract } from '../testing/eventStoreContract.ts';
import { SqliteEventStore } from './sqliteEventStore.ts';

eventStoreContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-es-'));
  const path = join(dir, 'events.db');
  return Promise.resolve({
    open: (options) => Promise.resolve(new SqliteEventStore({ path, ...options })),
    tamper: (stream, version, data) => {
      const db = new Database(path);
      db.prepare('UPDATE events SET data = ? WHERE stream = ? AND version = ?').run(
        data,
        stream,
        version,
      );
      db.close();
      return Promise.resolve();
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

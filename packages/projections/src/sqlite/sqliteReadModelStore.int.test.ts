import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { readModelContract } from '../testing/readModelContract.ts';
import { SqliteReadModelStore } from './sqliteReadModelStore.ts';

readModelContract('SQLite', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'aman-rm-'));
  const store = new SqliteReadModelStore({ path: join(scratch, 'readmodels.db') });
  return Promise.resolve({
    store,
    scratch,
    dispose: async () => {
      await store.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  });
});

describe('SQLite read models with secureDelete', () => {
  /** Every byte of the database file and its write-ahead log, as a thief would read them. */
  function rawFiles(path: string): Buffer {
    const files = [path, `${path}-wal`].filter((file) => existsSync(file));
    return Buffer.concat(files.map((file) => readFileSync(file)));
  }

  it.each([true, false])(
    'leaves no copy of a tombstoned document in the file or the WAL (secureDelete: %s)',
    async (secureDelete) => {
      const scratch = mkdtempSync(join(tmpdir(), 'aman-rm-secure-'));
      const path = join(scratch, 'vault.db');
      const store = new SqliteReadModelStore({ path, secureDelete });
      try {
        const keys = await store.collection('keys', { indexes: [] });
        const secret = `secret-${'k'.repeat(40)}-${Math.random().toString(36).slice(2)}`;
        const others = Array.from({ length: 20 }, (_, i) => ({
          id: `other-${i}`,
          data: { wrapped: `other-${i}-${'x'.repeat(60)}` },
          versions: {},
        }));
        await keys.write([...others, { id: 'case-1', data: { wrapped: secret }, versions: {} }]);
        // Seen before: the test can find what it looks for.
        expect(rawFiles(path).includes(secret)).toBe(true);
        await keys.write([{ id: 'case-1', data: undefined, versions: {} }]);
        expect(await keys.get('case-1')).toMatchObject({ data: undefined });
        expect((await keys.get('other-3'))?.data).toEqual(others[3]?.data);
        // Without secure delete the bytes linger: the check can fail.
        expect(rawFiles(path).includes(secret)).toBe(!secureDelete);
      } finally {
        await store.close();
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  );
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

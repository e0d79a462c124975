import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { timerContract } from '../testing/timerContract.ts';
import { SqliteTimerStore } from './sqliteTimerStore.ts';

timerContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-timers-'));
  let places = 0;
  return Promise.resolve({
    place: () => {
      places += 1;
      const path = join(dir, `timers-${places}.db`);
      return {
        open: () => Promise.resolve(new SqliteTimerStore({ path })),
        processArgs: ['sqlite', path],
      };
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

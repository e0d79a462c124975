import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MongoClient } from 'mongodb';

import { describeWithMongo } from '@aman/testing';

import { MongoCheckpointStore, SqliteCheckpointStore } from './checkpoints.ts';
import { checkpointContract } from './testing/checkpointContract.ts';

checkpointContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-cp-'));
  return Promise.resolve({
    store: new SqliteCheckpointStore({ path: join(dir, 'cp.db') }),
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describeWithMongo('MongoDB checkpoints', ({ uri, database }) => {
  checkpointContract('MongoDB', () => {
    const client = new MongoClient(uri);
    return Promise.resolve({
      store: new MongoCheckpointStore({ client, database }),
      dispose: async () => {
        await client.db(database).dropDatabase();
        await client.close();
      },
    });
  });
});

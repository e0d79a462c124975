import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MongoClient } from 'mongodb';

import { describeWithMongo } from '@aman/testing';

import { readModelContract } from '../testing/readModelContract.ts';
import { MongoReadModelStore } from './mongoReadModelStore.ts';

describeWithMongo('MongoDB read models', ({ uri, database }) => {
  readModelContract('MongoDB', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'aman-rm-'));
    const client = new MongoClient(uri);
    const store = new MongoReadModelStore({ client, database });
    return Promise.resolve({
      store,
      scratch,
      dispose: async () => {
        await client.db(database).dropDatabase();
        await client.close();
        rmSync(scratch, { recursive: true, force: true });
      },
    });
  });
});

import { MongoClient } from 'mongodb';

import { describeWithMongo } from '@aman/testing';

import { eventStoreContract } from '../testing/eventStoreContract.ts';
import { MongoEventStore } from './mongoEventStore.ts';

describeWithMongo('MongoDB event store', ({ uri, database }) => {
  const clients: MongoClient[] = [];

  eventStoreContract('MongoDB', () =>
    Promise.resolve({
      // Each instance gets its own client, as a separate process would.
      open: async (options) => {
        const client = new MongoClient(uri);
        clients.push(client);
        return MongoEventStore.open({ client, database, ...options });
      },
      tamper: async (stream, version, data) => {
        const client = new MongoClient(uri);
        try {
          const commits = client.db(database).collection('events');
          const commit = await commits.findOne({
            stream,
            fromVersion: { $lte: version },
            toVersion: { $gte: version },
          });
          if (commit === null) throw new Error('no such event');
          const events = (commit['events'] as { version: number; data: string }[]).map((row) =>
            row.version === version ? { ...row, data } : row,
          );
          await commits.updateOne({ _id: commit._id }, { $set: { events } });
        } finally {
          await client.close();
        }
      },
      dispose: async () => {
        const client = new MongoClient(uri);
        await client.db(database).dropDatabase();
        await client.close();
        await Promise.all(clients.map((client) => client.close()));
      },
    }),
  );
});

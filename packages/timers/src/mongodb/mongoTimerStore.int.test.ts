import { MongoClient } from 'mongodb';

import { describeWithMongo } from '@aman/testing';

import { timerContract } from '../testing/timerContract.ts';
import { MongoTimerStore } from './mongoTimerStore.ts';

describeWithMongo('MongoDB timers', ({ uri, database }) => {
  timerContract('MongoDB', () => {
    const clients: MongoClient[] = [];
    let places = 0;
    return Promise.resolve({
      place: () => {
        places += 1;
        const collection = `timers_${places}`;
        return {
          // Each store gets its own client, as a separate process would.
          open: () => {
            const client = new MongoClient(uri);
            clients.push(client);
            return MongoTimerStore.open({ client, database, collection });
          },
          processArgs: ['mongodb', uri, database, collection],
        };
      },
      dispose: async () => {
        const client = new MongoClient(uri);
        await client.db(database).dropDatabase();
        await client.close();
        await Promise.all(clients.map((client) => client.close()));
      },
    });
  });
});

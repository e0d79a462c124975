import type { MongoClient } from 'mongodb';

import { MongoEventStore, SqliteEventStore, type EventStore } from '@aman/eventstore';

import { sqliteDurability } from './sqlite/durability.ts';
import type { SystemUnderTest } from './systems.ts';
import { freshDatabaseName, freshDirectory } from './tempDir.ts';
import type { BenchEvent, LogPage, StoreUnderTest } from './workload.ts';

/** Aman's EventStore port, driven the way the services drive it. */
class AmanStore implements StoreUnderTest {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  async append(
    stream: string,
    events: readonly BenchEvent[],
    expectedVersion: number,
  ): Promise<void> {
    await this.#store.append(stream, events, { expectedVersion });
  }

  async readStream(stream: string): Promise<number> {
    return (await this.#store.readStream(stream)).length;
  }

  readonly readAll = async (after: number, limit: number): Promise<LogPage> => {
    const events = await this.#store.readAll({ after, limit });
    return { count: events.length, lastPosition: events.at(-1)?.position ?? after };
  };
}

export const amanSqlite: SystemUnderTest = {
  name: 'Aman SqliteEventStore',
  open: () => {
    const directory = freshDirectory();
    const events = new SqliteEventStore({
      path: `${directory.path}/events.db`,
      synchronous: 'full',
    });
    const durability = sqliteDurability(
      String(events.database.pragma('journal_mode', { simple: true })),
      Number(events.database.pragma('synchronous', { simple: true })),
    );
    return Promise.resolve({
      store: new AmanStore(events),
      durability: () => Promise.resolve(durability),
      dispose: async () => {
        await events.close();
        directory.remove();
      },
    });
  },
};

/** Aman's MongoDB store; it writes every commit with w: majority itself. */
export function amanMongo(client: MongoClient): SystemUnderTest {
  return {
    name: 'Aman MongoEventStore',
    open: async () => {
      const database = freshDatabaseName('aman_bench');
      const events = await MongoEventStore.open({ client, database });
      return {
        store: new AmanStore(events),
        durability: () => Promise.resolve('w:majority (set by the store)'),
        dispose: async () => {
          await events.close();
          await client.db(database).dropDatabase();
        },
      };
    },
  };
}

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
    // The store runs `beforeCommit` once per transaction that reaches COMMIT, whatever number of
    // appends it holds (group commit): counting its calls counts the durable commits, which the
    // raw ceiling of concurrent writers needs to commit as many rows at a time. It costs one
    // function call per commit.
    let commits = 0;
    const events = new SqliteEventStore({
      path: `${directory.path}/events.db`,
      synchronous: 'full',
      beforeCommit: () => {
        commits += 1;
      },
    });
    const durability = sqliteDurability(
      String(events.database.pragma('journal_mode', { simple: true })),
      Number(events.database.pragma('synchronous', { simple: true })),
    );
    return Promise.resolve({
      store: new AmanStore(events),
      durability: () => Promise.resolve(durability),
      commits: () => commits,
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

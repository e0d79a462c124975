// Emmett's MongoDB event store, opened and driven for @aman/bench. It lives in its own package
// because it needs @event-driven-io/emmett 0.42 and the mongodb 6 driver, while the SQLite side of
// the bench pins emmett 0.38.5 and Aman uses mongodb 7.
import { getMongoDBEventStore, type MongoDBEventStore } from '@event-driven-io/emmett-mongodb';
import { MongoClient } from 'mongodb';

export const EMMETT_MONGODB_VERSION = '0.42.4';

/** The event shape the bench appends (structurally the same as @aman/bench's BenchEvent). */
export interface EmmettBenchEvent {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface EmmettMongoStore {
  append(
    stream: string,
    events: readonly EmmettBenchEvent[],
    expectedVersion: number,
  ): Promise<void>;
  readStream(stream: string): Promise<number>;
}

export interface OpenedEmmettMongoStore {
  readonly store: EmmettMongoStore;
  /** The write concern of the store's own collection, read back from the driver. */
  readonly durability: string;
  dispose(): Promise<void>;
}

/**
 * Emmett names streams `category:id` and keeps one collection per category; the bench names them
 * `category-id`, so the first `-` becomes the `:`.
 */
function emmettStreamName(stream: string): string {
  return stream.replace('-', ':');
}

class EmmettMongo implements EmmettMongoStore {
  readonly #events: MongoDBEventStore;

  constructor(events: MongoDBEventStore) {
    this.#events = events;
  }

  async append(
    stream: string,
    events: readonly EmmettBenchEvent[],
    expectedVersion: number,
  ): Promise<void> {
    await this.#events.appendToStream(
      emmettStreamName(stream),
      events.map(({ type, data, metadata }) => ({
        type,
        data: { ...data },
        metadata: { ...metadata },
      })),
      { expectedStreamVersion: BigInt(expectedVersion) },
    );
  }

  async readStream(stream: string): Promise<number> {
    return (await this.#events.readStream(emmettStreamName(stream))).events.length;
  }
}

/** One mongodb 6 client for the whole run, with w:majority as its default write concern. */
export class EmmettMongoConnection {
  readonly #client: MongoClient;

  private constructor(client: MongoClient) {
    this.#client = client;
  }

  static async connect(uri: string): Promise<EmmettMongoConnection> {
    // Emmett's appends use the client's default write concern: make it the one Aman writes with.
    const client = new MongoClient(uri, {
      writeConcern: { w: 'majority' },
      serverSelectionTimeoutMS: 5_000,
    });
    await client.connect();
    return new EmmettMongoConnection(client);
  }

  /** A store on the fresh database `database`, dropped by `dispose`. */
  async open(database: string): Promise<OpenedEmmettMongoStore> {
    const events = getMongoDBEventStore({
      client: this.#client,
      storage: { type: 'COLLECTION_PER_STREAM_TYPE', databaseName: database },
    });
    const collection = await events.collectionFor('case');
    const w = collection.writeConcern?.w;
    return {
      store: new EmmettMongo(events),
      durability: `w:${w === undefined ? 'server default' : String(w)} (client default)`,
      dispose: async () => {
        await this.#client.db(database).dropDatabase();
      },
    };
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

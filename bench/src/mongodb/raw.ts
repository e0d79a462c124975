import type { MongoClient } from 'mongodb';

import { timeBoxed } from '../measure.ts';
import type { Measured } from '../systems.ts';
import { freshDatabaseName } from '../tempDir.ts';
import { BENCH_EVENT, STREAM_LENGTH } from '../workload.ts';

const WRITE_CONCERN = { w: 'majority' } as const;

function eventDocument(row: number): Record<string, unknown> {
  return {
    stream: `case-${Math.floor(row / STREAM_LENGTH)}`,
    version: (row % STREAM_LENGTH) + 1,
    type: BENCH_EVENT.type,
    data: BENCH_EVENT.data,
    metadata: BENCH_EVENT.metadata,
  };
}

async function onRawCollection(
  client: MongoClient,
  insert: (
    collection: ReturnType<ReturnType<MongoClient['db']>['collection']>,
  ) => Promise<Measured['sample']>,
): Promise<Measured> {
  const database = freshDatabaseName('raw_bench');
  const db = client.db(database);
  try {
    const collection = db.collection('events');
    await collection.insertOne(eventDocument(0), { writeConcern: WRITE_CONCERN }); // warm-up
    return { sample: await insert(collection), durability: 'w:majority (per insert)' };
  } finally {
    await db.dropDatabase();
  }
}

/** Raw driver insertOne with w:majority, one document per round trip. */
export function rawInsertOne(client: MongoClient, durationMs: number): Promise<Measured> {
  return onRawCollection(client, (collection) =>
    timeBoxed(durationMs, async (index) => {
      await collection.insertOne(eventDocument(index + 1), { writeConcern: WRITE_CONCERN });
    }),
  );
}

/** Raw driver insertMany of `documentsPerCall` documents with w:majority. */
export function rawInsertMany(
  client: MongoClient,
  durationMs: number,
  documentsPerCall: number,
): Promise<Measured> {
  return onRawCollection(client, (collection) =>
    timeBoxed(
      durationMs,
      async (index) => {
        const first = (index + 1) * documentsPerCall;
        await collection.insertMany(
          Array.from({ length: documentsPerCall }, (_, offset) => eventDocument(first + offset)),
          { writeConcern: WRITE_CONCERN },
        );
      },
      documentsPerCall,
    ),
  );
}

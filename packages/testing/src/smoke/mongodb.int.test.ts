import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';

import { describeWithMongo } from '../suites.ts';

interface Counter {
  _id: string;
  name: string;
  value: number;
}

// Proves the MongoDB-wire server of this run behaves like MongoDB for what the stores rely on.
describeWithMongo('MongoDB smoke: driver round trip', ({ uri, database }) => {
  const client = new MongoClient(uri);
  let counters: Collection<Counter>;

  beforeAll(async () => {
    await client.connect();
    counters = client.db(database).collection<Counter>('counters');
    await counters.createIndex({ name: 1 }, { unique: true }, {});
  });

  afterAll(async () => {
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('inserts and finds with a sort', async () => {
    await counters.insertMany([
      { _id: 'c', name: 'gamma', value: 3 },
      { _id: 'a', name: 'alpha', value: 1 },
      { _id: 'b', name: 'beta', value: 2 },
    ]);
    const sorted = await counters.find({}, { sort: { value: -1 } }).toArray();
    expect(sorted.map((counter) => counter._id)).toEqual(['c', 'b', 'a']);
  });

  it('surfaces a unique-index violation as a duplicate-key error', async () => {
    const attempt = counters.insertOne({ _id: 'd', name: 'alpha', value: 9 });
    await expect(attempt).rejects.toBeInstanceOf(MongoServerError);
    await expect(attempt).rejects.toMatchObject({ code: 11000 });
    expect(await counters.countDocuments({ name: 'alpha' })).toBe(1);
  });

  it('increments with findOneAndUpdate and returns the updated document', async () => {
    const first = await counters.findOneAndUpdate(
      { _id: 'a' },
      { $inc: { value: 5 } },
      { returnDocument: 'after' },
    );
    expect(first?.value).toBe(6);
    const second = await counters.findOneAndUpdate(
      { _id: 'a' },
      { $inc: { value: 1 } },
      { returnDocument: 'before' },
    );
    expect(second?.value).toBe(6);
    expect((await counters.findOne({ _id: 'a' }))?.value).toBe(7);
  });

  // What every optimistic-concurrency check in Aman's MongoDB adapters rests on: among concurrent
  // inserts of one unique key, exactly one wins and the rest fail as duplicates. (Concurrent
  // read-modify-write updates are NOT atomic on FerretDB 1.x with SQLite — see
  // docs/adr/0002-ferretdb-guarantees.md — so no adapter relies on them.)
  it('lets exactly one of many concurrent inserts of a unique key win', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 16 }, (_, writer) =>
        counters.insertOne({ _id: `race-${writer}`, name: 'contended', value: writer }),
      ),
    );
    const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const lost = attempts.filter(
      (attempt) =>
        attempt.status === 'rejected' && (attempt.reason as MongoServerError).code === 11000,
    );
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(15);
    expect(await counters.countDocuments({ name: 'contended' })).toBe(1);
  });
});

import { MongoClient, type Collection, type Document } from 'mongodb';

/** Commit documents as a tamperer sees them: `_id` is the commit's first position, as text. */
type Commits = Collection<Document & { _id: string }>;

import { describeWithMongo } from '@aman/testing';

import { killMidAppend } from '../testing/crash.ts';
import { eventStoreContract } from '../testing/eventStoreContract.ts';
import { MongoEventStore } from './mongoEventStore.ts';

describeWithMongo('MongoDB event store', ({ uri, database }) => {
  const clients: MongoClient[] = [];

  /** Runs `change` on the commit collection behind the store's back, as an attacker would. */
  async function behindTheStore(change: (commits: Commits) => Promise<void>): Promise<void> {
    const client = new MongoClient(uri);
    try {
      await change(client.db(database).collection<Document & { _id: string }>('events'));
    } finally {
      await client.close();
    }
  }

  async function commitAt(commits: Commits, position: number): Promise<Document & { _id: string }> {
    const commit = await commits.findOne({ fromPosition: position });
    if (commit === null) throw new Error(`no commit at position ${position}`);
    return commit;
  }

  eventStoreContract('MongoDB', () =>
    Promise.resolve({
      // Each instance gets its own client, as a separate process would.
      open: async (options) => {
        const client = new MongoClient(uri);
        clients.push(client);
        return MongoEventStore.open({ client, database, ...options });
      },
      tamper: (stream, version, data) =>
        behindTheStore(async (commits) => {
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
        }),
      remove: (position) =>
        behindTheStore(async (commits) => {
          const commit = await commitAt(commits, position);
          await commits.deleteOne({ _id: commit._id });
        }),
      // Moves each commit, with the positions in its rows, to the other's place.
      swapPositions: (a, b) =>
        behindTheStore(async (commits) => {
          const [first, second] = [await commitAt(commits, a), await commitAt(commits, b)];
          const moved = (commit: Document, position: number): Document & { _id: string } => ({
            ...commit,
            _id: String(position),
            fromPosition: position,
            toPosition: position,
            events: (commit['events'] as Document[]).map((row) => ({ ...row, position })),
          });
          await commits.deleteOne({ _id: first._id });
          await commits.deleteOne({ _id: second._id });
          await commits.insertMany([moved(first, b), moved(second, a)]);
        }),
      killMidAppend: (stream, events) => killMidAppend(['mongodb', uri, database], stream, events),
      reservesIds: true,
      dispose: async () => {
        const client = new MongoClient(uri);
        await client.db(database).dropDatabase();
        await client.close();
        await Promise.all(clients.map((client) => client.close()));
      },
    }),
  );
});

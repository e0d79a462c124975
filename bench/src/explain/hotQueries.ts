// The queries each version of MongoEventStore makes on its hot paths, for explainHotPaths.ts. A new
// version of the store gets a new entry in QUERY_SETS: the same query shapes as its code, with real
// values read from a database that store filled.
import type { Db, Document } from 'mongodb';

/** One query as the store sends it: a `find` command, which `findOne` is with `limit: 1`. */
export interface HotQuery {
  /** What it is for, e.g. `stream head`. */
  readonly name: string;
  /** Where the store makes it and when, e.g. `#readHead: streamVersion, append after a conflict`. */
  readonly source: string;
  readonly collection: string;
  readonly filter: Document;
  readonly sort?: Document;
  readonly projection?: Document;
  readonly limit?: number;
}

export interface QuerySet {
  readonly description: string;
  /**
   * The hot queries, with values (a stream, an id, a position near the head) read from `db`, a
   * database this version of the store filled. May scan: it runs once, before anything is timed.
   */
  queries(db: Db): Promise<HotQuery[]>;
}

function stringField(document: Document, name: string): string {
  const value: unknown = document[name];
  if (typeof value !== 'string') {
    throw new Error(`expected a string in field ${name} of ${JSON.stringify(document)}`);
  }
  return value;
}

function numberField(document: Document, name: string): number {
  const value: unknown = document[name];
  if (typeof value !== 'number') {
    throw new Error(`expected a number in field ${name} of ${JSON.stringify(document)}`);
  }
  return value;
}

/**
 * The store up to commit dfd4067 (before issue 6, item 6): one document per commit in `events`,
 * keyed by its first event's id, with secondary indexes on (stream, fromVersion), fromPosition
 * and toPosition, which FerretDB 1.x does not use.
 */
const commitDocuments: QuerySet = {
  description: 'commit documents with secondary indexes (MongoEventStore up to dfd4067)',
  queries: async (db) => {
    const collection = 'events';
    const newest = await db
      .collection(collection)
      .findOne({}, { sort: { fromPosition: -1 }, projection: { events: 0 } });
    if (newest === null) throw new Error(`${db.databaseName}.${collection} is empty`);
    const stream = stringField(newest, 'stream');
    const id = stringField(newest, '_id');
    const fromVersion = numberField(newest, 'fromVersion');
    const head = numberField(newest, 'toPosition');
    return [
      {
        name: 'stream heads of a batch',
        source: '#streamHeads: every append to a stream whose head is not cached',
        collection,
        filter: { stream: { $in: [stream] } },
        projection: { stream: 1, toVersion: 1, lastHash: 1 },
      },
      {
        name: 'stream head',
        source: '#readHead: streamVersion; a conflicting append with a numeric expected version',
        collection,
        filter: { stream },
        sort: { fromVersion: -1 },
        projection: { toVersion: 1, lastHash: 1 },
        limit: 1,
      },
      {
        name: 'last position',
        source: '#readLastPosition: headPosition; the next append after any collision',
        collection,
        filter: {},
        sort: { fromPosition: -1 },
        projection: { toPosition: 1 },
        limit: 1,
      },
      {
        name: 'readAll page, tailing',
        source: 'readAll({ after: head - 1, limit: 500 }): ProjectionRunner tailing the log',
        collection,
        filter: { toPosition: { $gt: head - 1 } },
        sort: { fromPosition: 1 },
        limit: 500,
      },
      {
        name: 'readStream',
        source: 'readStream(stream): loading an aggregate',
        collection,
        filter: { stream, toVersion: { $gte: 1 } },
        sort: { fromVersion: 1 },
      },
      {
        name: 'rival at a version',
        source: '#resolveCollision: every duplicate-key error (another writer took the position)',
        collection,
        filter: { stream, fromVersion },
        projection: { _id: 1 },
        limit: 1,
      },
      {
        name: 'commit by first event id',
        source: '#resolveRetried: every duplicate-key error and every conflict',
        collection,
        filter: { _id: id },
        limit: 1,
      },
    ];
  },
};

function firstEventId(commit: Document): string {
  const events: unknown = commit['events'];
  const first: unknown = Array.isArray(events) ? events[0] : undefined;
  if (typeof first !== 'object' || first === null) {
    throw new Error(`expected events in ${JSON.stringify(commit)}`);
  }
  return stringField(first, 'id');
}

/**
 * The `_id`-keyed layout of commit 1be9d97 (issue 6, item 6), as committed at 1a6f8be: commits
 * keyed by their first position in `events`, a stream index `events.streams` keyed by
 * `<stream>#<fromVersion>`, event-id reservations in `events.ids`, a head hint in `events.head`.
 * Every lookup is by `_id`; check the shapes against the store's code when it changes.
 */
const idKeyed: QuerySet = {
  description: '_id-keyed commits, stream index, reservations and head hint (1be9d97 onwards)',
  queries: async (db) => {
    // Every collection of this layout has string keys.
    type Keyed = { _id: string } & Document;
    const hint = await db.collection<Keyed>('events.head').findOne({ _id: 'head' });
    if (hint === null) throw new Error(`${db.databaseName} has no head hint`);
    const head = numberField(hint, 'toPosition');
    const newest = await db
      .collection<Keyed>('events')
      .findOne({ _id: String(numberField(hint, 'fromPosition')) });
    if (newest === null) throw new Error(`${db.databaseName}.events has no commit at the hint`);
    const stream = stringField(newest, 'stream');
    const fromVersion = numberField(newest, 'fromVersion');
    return [
      {
        name: 'commit at a position, found',
        source: '#commitAt: readAll tailing, the walk to the head, collisions',
        collection: 'events',
        filter: { _id: String(head) },
        limit: 1,
      },
      {
        name: 'commit at a position, absent',
        source: '#commitAt one past the head: the end of every walk and of every tailing read',
        collection: 'events',
        filter: { _id: String(head + 1) },
        limit: 1,
      },
      {
        name: 'stream index entry',
        source: '#readHead, #streamEntries: a head not cached, readStream',
        collection: 'events.streams',
        filter: { _id: `${stream}#${fromVersion}` },
        limit: 1,
      },
      {
        name: 'event id reservation',
        source: '#reserve: an id found reserved already (a retry, a collision)',
        collection: 'events.ids',
        filter: { _id: firstEventId(newest) },
        limit: 1,
      },
      {
        name: 'head hint',
        source: '#hint: the last position when not cached',
        collection: 'events.head',
        filter: { _id: 'head' },
        limit: 1,
      },
    ];
  },
};

/** Keyed by the name BENCH_EXPLAIN_QUERIES selects. */
export const QUERY_SETS: Readonly<Record<string, QuerySet>> = {
  'commit-documents': commitDocuments,
  'id-keyed': idKeyed,
};

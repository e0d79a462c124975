import Database from 'better-sqlite3';

import {
  canonicalJson,
  GENESIS_HASH,
  openSqlite,
  rowHash,
  SQLITE_EVENTS_INSERT,
  SQLITE_EVENTS_SCHEMA,
  uuidv7,
  type EventRow,
} from '@aman/eventstore';

import { timeBoxed } from '../measure.ts';
import type { Measured } from '../systems.ts';
import { freshDirectory } from '../tempDir.ts';
import { BENCH_EVENT, CONCURRENT_WRITERS, STREAM_LENGTH } from '../workload.ts';
import { sqliteDurability } from './durability.ts';

/**
 * The ceiling: better-sqlite3 inserting the same event payload into the smallest table an event
 * log needs (a global position and a unique (stream, version)), with the pragmas Aman uses.
 */
const SCHEMA = `
  CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL,
    UNIQUE (stream, version)
  ) STRICT;
`;

const DATA = JSON.stringify(BENCH_EVENT.data);
const METADATA = JSON.stringify(BENCH_EVENT.metadata);

async function onRawDatabase(
  insert: (run: (row: number) => void, db: Database.Database) => Promise<Measured['sample']>,
): Promise<Measured> {
  const directory = freshDirectory();
  const db = new Database(`${directory.path}/raw.db`);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(SCHEMA);
    const statement = db.prepare(
      'INSERT INTO events (stream, version, type, data, metadata) VALUES (?, ?, ?, ?, ?)',
    );
    const run = (row: number): void => {
      statement.run(
        `case-${Math.floor(row / STREAM_LENGTH)}`,
        (row % STREAM_LENGTH) + 1,
        BENCH_EVENT.type,
        DATA,
        METADATA,
      );
    };
    const durability = sqliteDurability(
      String(db.pragma('journal_mode', { simple: true })),
      Number(db.pragma('synchronous', { simple: true })),
    );
    run(0); // warm-up row
    const sample = await insert((row) => {
      run(row + 1);
    }, db);
    return { sample, durability };
  } finally {
    db.close();
    directory.remove();
  }
}

/** One INSERT per transaction (autocommit): one fsync per row. */
export function rawSingleRowCommits(durationMs: number): Promise<Measured> {
  return onRawDatabase((run) =>
    timeBoxed(durationMs, (index) => {
      run(index);
      return Promise.resolve();
    }),
  );
}

/** `rowsPerCommit` INSERTs per transaction. */
export function rawBatchedCommits(durationMs: number, rowsPerCommit: number): Promise<Measured> {
  return onRawDatabase((run, db) => {
    const commit = db.transaction((first: number) => {
      for (let row = first; row < first + rowsPerCommit; row += 1) run(row);
    });
    return timeBoxed(
      durationMs,
      (index) => {
        commit(index * rowsPerCommit);
        return Promise.resolve();
      },
      rowsPerCommit,
    );
  });
}

/** One row as SqliteEventStore binds it to its INSERT: the event row and its place in its append. */
interface StoredRow extends EventRow {
  readonly appendIndex: number;
  readonly appendSize: number;
}

// The store keeps an event's data as canonical JSON text; the bench event's is the same every time.
const CANONICAL_DATA = canonicalJson(BENCH_EVENT.data);

/**
 * The rows concurrentAppends has the store write: CONCURRENT_WRITERS writers taking turns, each
 * appending one event at a time to its own streams of STREAM_LENGTH (`<category>-<writer>-<n>`),
 * with a fresh UUIDv7 id, and chained onto its stream's previous event by the store's own rowHash.
 * Each call makes the next row, at `position`, recorded (and occurred) at `at`.
 */
function writerRows(category: string): (position: number, at: string) => StoredRow {
  // The hash of each writer's newest event: the ceiling keeps the heads in memory, where the store
  // looks each one up in the table (part of the overhead this ceiling leaves out).
  const heads: string[] = [];
  let made = 0;
  return (position, at) => {
    const writer = made % CONCURRENT_WRITERS;
    const index = Math.floor(made / CONCURRENT_WRITERS);
    made += 1;
    const version = (index % STREAM_LENGTH) + 1;
    const unhashed: Omit<EventRow, 'hash'> = {
      id: uuidv7(),
      stream: `${category}-${writer}-${Math.floor(index / STREAM_LENGTH)}`,
      version,
      position,
      type: BENCH_EVENT.type,
      schemaVersion: BENCH_EVENT.schemaVersion,
      data: CANONICAL_DATA,
      occurredAt: at,
      recordedAt: at,
      actorOrganisationId: BENCH_EVENT.metadata.actor.organisationId,
      actorPrincipalId: BENCH_EVENT.metadata.actor.principalId,
      correlationId: BENCH_EVENT.metadata.correlationId,
      causationId: null,
      traceparent: null,
      dataKeyId: null,
      previousHash: version === 1 ? GENESIS_HASH : (heads[writer] ?? GENESIS_HASH),
    };
    const hash = rowHash(unhashed);
    heads[writer] = hash;
    // Every event is an append of its own, as in concurrentAppends.
    return { ...unhashed, hash, appendIndex: 0, appendSize: 1 };
  };
}

/**
 * The ceiling of group commit: the rows SqliteEventStore stores under CONCURRENT_WRITERS writers
 * (same table and indexes, from the store's own schema; same columns, filled the same way, hash
 * chain included), `rowsPerCommit` to a transaction, on a connection opened as the store opens
 * its own (WAL, synchronous FULL). What it leaves out is the store's own work: validation,
 * idempotency and expected-version lookups, the queue and the promises.
 */
export async function rawStoredRowCommits(
  durationMs: number,
  rowsPerCommit: number,
): Promise<Measured> {
  const directory = freshDirectory();
  const db = openSqlite(`${directory.path}/raw-stored.db`, { synchronous: 'full' });
  try {
    db.exec(SQLITE_EVENTS_SCHEMA);
    const insert = db.prepare<[StoredRow]>(SQLITE_EVENTS_INSERT);
    let stored = 0;
    // Rows are made inside the transaction, as the store makes them: positions and heads are
    // known only there.
    const commit = db.transaction((next: (position: number, at: string) => StoredRow) => {
      const at = new Date().toISOString();
      for (let row = 1; row <= rowsPerCommit; row += 1) insert.run(next(stored + row, at));
    });
    const durability = sqliteDurability(
      String(db.pragma('journal_mode', { simple: true })),
      Number(db.pragma('synchronous', { simple: true })),
    );
    // Warm-up commit, to streams the measurement does not use.
    commit.immediate(writerRows('warmup'));
    stored += rowsPerCommit;
    const measured = writerRows('writer');
    const sample = await timeBoxed(
      durationMs,
      () => {
        commit.immediate(measured);
        stored += rowsPerCommit;
        return Promise.resolve();
      },
      rowsPerCommit,
    );
    return { sample: { ...sample, commits: sample.units / rowsPerCommit }, durability };
  } finally {
    db.close();
    directory.remove();
  }
}

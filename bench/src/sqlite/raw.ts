import Database from 'better-sqlite3';

import { timeBoxed } from '../measure.ts';
import type { Measured } from '../systems.ts';
import { freshDirectory } from '../tempDir.ts';
import { BENCH_EVENT, STREAM_LENGTH } from '../workload.ts';
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

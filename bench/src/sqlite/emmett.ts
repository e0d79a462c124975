import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  getSQLiteEventStore,
  readMessagesBatch,
  sqliteConnection,
  type SQLiteConnection,
  type SQLiteEventStore,
} from '@event-driven-io/emmett-sqlite';

import type { ConcurrentOptions } from '../measure.ts';
import type { Measured, OpenedStore, SystemUnderTest } from '../systems.ts';
import { freshDirectory } from '../tempDir.ts';
import type { BenchEvent, LogPage, StoreUnderTest } from '../workload.ts';
import { sqliteDurability } from './durability.ts';

/**
 * Emmett's SQLite store (0.38.5) as its README uses it: one store per database file. It opens a
 * connection per operation and closes it afterwards, so a reader of the global log gets its own
 * connection, as Emmett's own consumer does.
 */
class EmmettSqliteStore implements StoreUnderTest {
  readonly #events: SQLiteEventStore;
  readonly #fileName: string;
  #reader: SQLiteConnection | undefined;

  constructor(fileName: string) {
    this.#fileName = fileName;
    this.#events = getSQLiteEventStore({ fileName });
  }

  async append(
    stream: string,
    events: readonly BenchEvent[],
    expectedVersion: number,
  ): Promise<void> {
    await this.#events.appendToStream(
      stream,
      events.map(({ type, data, metadata }) => ({ type, data, metadata })),
      { expectedStreamVersion: BigInt(expectedVersion) },
    );
  }

  async readStream(stream: string): Promise<number> {
    return (await this.#events.readStream(stream)).events.length;
  }

  readonly readAll = async (after: number, limit: number): Promise<LogPage> => {
    this.#reader ??= sqliteConnection({ fileName: this.#fileName });
    const batch = await readMessagesBatch(this.#reader, { after: BigInt(after), batchSize: limit });
    return { count: batch.messages.length, lastPosition: Number(batch.currentGlobalPosition) };
  };

  close(): void {
    this.#reader?.close();
  }
}

/**
 * Emmett sets only `journal_mode = WAL` on its connections; synchronous stays at the compiled-in
 * default of the `sqlite3` package's SQLite. Read both back through a connection opened the same
 * way Emmett opens its own. Emmett does not wait for its `PRAGMA journal_mode = WAL` before the
 * next statement, so on a brand-new file the read-back can still see DELETE: ask after the
 * store's first appends.
 */
async function emmettDurability(fileName: string): Promise<string> {
  const connection = sqliteConnection({ fileName });
  try {
    const [journal] = await connection.query<{ journal_mode: string }>('PRAGMA journal_mode');
    const [sync] = await connection.query<{ synchronous: number }>('PRAGMA synchronous');
    return sqliteDurability(journal?.journal_mode ?? '?', sync?.synchronous ?? -1);
  } finally {
    connection.close();
  }
}

function openEmmettSqlite(): Promise<OpenedStore> {
  const directory = freshDirectory();
  const fileName = `${directory.path}/events.db`;
  const store = new EmmettSqliteStore(fileName);
  return Promise.resolve({
    store,
    durability: async () =>
      `${await emmettDurability(fileName)} (SQLite default; Emmett sets only WAL)`,
    dispose: () => {
      store.close();
      directory.remove();
      return Promise.resolve();
    },
  });
}

const CHILD = fileURLToPath(new URL('./emmettConcurrentChild.js', import.meta.url));

/**
 * 50 concurrent writers on one Emmett SQLite store run in a child process: the store shares one
 * connection among overlapping operations and closes it when any of them finishes, so the others
 * fail with SQLITE_MISUSE, and some never settle. A child can be killed; the bench cannot.
 */
function concurrentInChild(options: Omit<ConcurrentOptions, 'writers'>): Promise<Measured> {
  const settleMs = options.settleMs ?? 3_000;
  return new Promise<Measured>((resolve, reject) => {
    // Emmett logs rolled-back errors to stdout; the bench's table stays readable without them.
    const child = fork(CHILD, [String(options.durationMs), String(settleMs)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    let result: Measured | undefined;
    const killer = setTimeout(
      () => {
        child.kill('SIGKILL');
      },
      options.durationMs + settleMs + 20_000,
    );
    child.on('message', (message: Measured) => {
      result = message;
      child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      if (result !== undefined) resolve(result);
      else {
        const how = signal === null ? `exit code ${code ?? '?'}` : `signal ${signal}`;
        reject(new Error(`the Emmett SQLite child ended (${how}) without a result: ${stderr}`));
      }
    });
  });
}

export const emmettSqlite: SystemUnderTest = {
  name: 'Emmett SQLite 0.38.5',
  open: openEmmettSqlite,
  concurrentAppends: concurrentInChild,
};

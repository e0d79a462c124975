import Database from 'better-sqlite3';

import { ConcurrencyError, ValidationError } from '@aman/errors';

import {
  GENESIS_HASH,
  chainRows,
  checkReadAll,
  checkReadStream,
  validateStreamName,
  expectedVersionHolds,
  isSameAppend,
  prepareEvents,
  toStoredEvent,
  verifyRows,
  type EventRow,
  type PreparedEvent,
} from '../records.ts';
import type {
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  VerifyResult,
} from '../types.ts';
import type { UpcasterRegistry } from '../upcasting.ts';

export interface SqliteEventStoreOptions {
  /** Database file. Other processes on this machine may open the same file to tail it. */
  readonly path: string;
  /**
   * `full` (default): every commit is fsynced before the append resolves — an accepted write
   * survives power loss. `normal`: WAL commits survive a process crash, not an OS crash.
   */
  readonly synchronous?: 'full' | 'normal';
  readonly upcasters?: UpcasterRegistry;
  /** How long a writer waits for another process's write lock (default 10 s). */
  readonly busyTimeoutMs?: number;
}

interface EventColumns {
  position: number;
  id: string;
  stream: string;
  version: number;
  type: string;
  schema_version: number;
  data: string;
  occurred_at: string;
  recorded_at: string;
  actor_organisation_id: string;
  actor_principal_id: string;
  correlation_id: string;
  causation_id: string | null;
  traceparent: string | null;
  data_key_id: string | null;
  previous_hash: string;
  hash: string;
}

/** An append's result: the stream version and global position of its last event. */
function appendResult(stored: StoredEvent[]): AppendResult {
  const last = stored[stored.length - 1];
  return { version: last?.version ?? 0, position: last?.position ?? 0, events: stored };
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/** An append failed after it had written part of its events: its transaction must not commit. */
class WriteFailed extends Error {
  constructor(cause: unknown) {
    super('an append failed while writing', { cause });
  }
}

interface PendingAppend {
  readonly stream: string;
  readonly prepared: readonly PreparedEvent[];
  readonly expected: ExpectedVersion;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    -- The global order. SQLite runs one write transaction at a time and assigns the rowid inside
    -- it, so a reader can never see position N+1 before N has committed: no gaps to skip.
    position              INTEGER PRIMARY KEY,
    id                    TEXT    NOT NULL UNIQUE,
    stream                TEXT    NOT NULL,
    version               INTEGER NOT NULL,
    type                  TEXT    NOT NULL,
    schema_version        INTEGER NOT NULL,
    data                  TEXT    NOT NULL,
    occurred_at           TEXT    NOT NULL,
    recorded_at           TEXT    NOT NULL,
    actor_organisation_id TEXT    NOT NULL,
    actor_principal_id    TEXT    NOT NULL,
    correlation_id        TEXT    NOT NULL,
    causation_id          TEXT,
    traceparent           TEXT,
    data_key_id           TEXT,
    previous_hash         TEXT    NOT NULL,
    hash                  TEXT    NOT NULL,
    UNIQUE (stream, version)
  ) STRICT;
`;

function toRow(columns: EventColumns): EventRow {
  return {
    id: columns.id,
    stream: columns.stream,
    version: columns.version,
    type: columns.type,
    schemaVersion: columns.schema_version,
    data: columns.data,
    occurredAt: columns.occurred_at,
    recordedAt: columns.recorded_at,
    actorOrganisationId: columns.actor_organisation_id,
    actorPrincipalId: columns.actor_principal_id,
    correlationId: columns.correlation_id,
    causationId: columns.causation_id,
    traceparent: columns.traceparent,
    dataKeyId: columns.data_key_id,
    previousHash: columns.previous_hash,
    hash: columns.hash,
  };
}

/**
 * The embedded event store: one SQLite file in WAL mode. Concurrent appends issued in the same
 * turn of the event loop share one transaction and one fsync (group commit); each keeps its own
 * savepoint, so one append's conflict does not fail the others.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #upcasters: UpcasterRegistry;
  readonly #statements;
  readonly #appendInBatch: (pending: PendingAppend) => AppendResult;
  #queue: PendingAppend[] = [];
  #flushScheduled = false;
  #closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.#db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.#db.exec(SCHEMA);
    this.#upcasters = options.upcasters ?? {};
    const db = this.#db;
    this.#statements = {
      head: db.prepare<[string], { version: number; hash: string }>(
        'SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1',
      ),
      byId: db.prepare<[string], EventColumns>('SELECT * FROM events WHERE id = ?'),
      range: db.prepare<[string, number, number], EventColumns>(
        'SELECT * FROM events WHERE stream = ? AND version BETWEEN ? AND ? ORDER BY version',
      ),
      stream: db.prepare<[string, number, number], EventColumns>(
        'SELECT * FROM events WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?',
      ),
      all: db.prepare<[number, number], EventColumns>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      headPosition: db.prepare<[], { position: number | null }>(
        'SELECT MAX(position) AS position FROM events',
      ),
      insert: db.prepare(
        `INSERT INTO events (id, stream, version, type, schema_version, data, occurred_at,
           recorded_at, actor_organisation_id, actor_principal_id, correlation_id, causation_id,
           traceparent, data_key_id, previous_hash, hash)
         VALUES (@id, @stream, @version, @type, @schemaVersion, @data, @occurredAt, @recordedAt,
           @actorOrganisationId, @actorPrincipalId, @correlationId, @causationId, @traceparent,
           @dataKeyId, @previousHash, @hash)`,
      ),
    };
    // A nested better-sqlite3 transaction runs as a savepoint inside the batch's transaction.
    this.#appendInBatch = db.transaction((pending: PendingAppend) => this.#appendNow(pending));
  }

  append(
    stream: string,
    events: readonly NewEvent[],
    options: { readonly expectedVersion: ExpectedVersion },
  ): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new ValidationError('the event store is closed'));
    let prepared: PreparedEvent[];
    try {
      prepared = prepareEvents(stream, events, options.expectedVersion);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ stream, prepared, expected: options.expectedVersion, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.#commit(batch, false);
    } catch (error) {
      if (!(error instanceof WriteFailed)) {
        // The commit itself failed (busy past the timeout, disk full): nothing is stored.
        for (const pending of batch) pending.reject(error);
        return;
      }
      // An insert failed half-way through an append (an event id already stored elsewhere).
      // The batch was rolled back; run it again with a savepoint around each append.
      try {
        outcomes = this.#commit(batch, true);
      } catch (retryError) {
        for (const pending of batch) pending.reject(retryError);
        return;
      }
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) pending.resolve(outcome.result);
      else pending.reject(outcome?.error);
    });
  }

  /**
   * One transaction, one fsync, for the whole batch. Conflicts and rejected retries are found
   * before an append writes anything, so they need no savepoint; only the rare failure inside an
   * append's inserts (fast path: WriteFailed aborts the batch) needs the savepoint path.
   */
  #commit(batch: readonly PendingAppend[], savepoints: boolean): Outcome[] {
    const outcomes: Outcome[] = [];
    this.#db
      .transaction(() => {
        for (const pending of batch) {
          try {
            const result = savepoints ? this.#appendInBatch(pending) : this.#appendNow(pending);
            outcomes.push({ ok: true, result });
          } catch (error) {
            if (error instanceof WriteFailed && !savepoints) throw error;
            // Some failures (disk full, I/O) make SQLite roll back the whole transaction:
            // then nothing of the batch is stored and nothing more may run in autocommit.
            if (!this.#db.inTransaction) throw error;
            outcomes.push({ ok: false, error: error instanceof WriteFailed ? error.cause : error });
          }
        }
      })
      .immediate();
    return outcomes;
  }

  #appendNow({ stream, prepared, expected }: PendingAppend): AppendResult {
    const first = prepared[0];
    if (first === undefined) throw new ValidationError('an append needs at least one event');
    const retried = this.#statements.byId.get(first.id);
    if (retried !== undefined) return this.#retriedAppend(stream, prepared, retried);

    const head = this.#statements.head.get(stream);
    if (!expectedVersionHolds(expected, head?.version)) {
      throw new ConcurrencyError(stream, expected, head?.version);
    }
    const rows = chainRows(
      stream,
      prepared,
      head?.version ?? 0,
      head?.hash ?? GENESIS_HASH,
      new Date().toISOString(),
    );
    const stored: StoredEvent[] = [];
    for (const row of rows) {
      let position: number;
      try {
        position = Number(this.#statements.insert.run(row).lastInsertRowid);
      } catch (error) {
        // By code, not instanceof: the native addon keeps the SqliteError class of the first
        // module instance that loaded it (several exist under jest's module registry).
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new WriteFailed(
            new ValidationError('an event id of this append is already used by another event'),
          );
        }
        throw new WriteFailed(error);
      }
      stored.push(toStoredEvent(row, position, this.#upcasters));
    }
    return appendResult(stored);
  }

  /** The first id is already stored: the same append again returns what the first one stored. */
  #retriedAppend(
    stream: string,
    prepared: readonly PreparedEvent[],
    first: EventColumns,
  ): AppendResult {
    const existing =
      first.stream === stream
        ? this.#statements.range.all(stream, first.version, first.version + prepared.length - 1)
        : [];
    if (!isSameAppend(prepared, existing)) {
      throw new ValidationError('an event id of this append is already used by another event');
    }
    const stored = existing.map((columns) =>
      toStoredEvent(toRow(columns), columns.position, this.#upcasters),
    );
    return appendResult(stored);
  }

  readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    return this.#read(() => {
      const { fromVersion, maxCount } = checkReadStream(stream, options);
      return this.#statements.stream
        .all(stream, fromVersion, maxCount ?? -1)
        .map((columns) => toStoredEvent(toRow(columns), columns.position, this.#upcasters));
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.#read(() => {
      const { after, limit } = checkReadAll(options);
      return this.#statements.all
        .all(after, limit)
        .map((columns) => toStoredEvent(toRow(columns), columns.position, this.#upcasters));
    });
  }

  streamVersion(stream: string): Promise<number | undefined> {
    return this.#read(() => {
      validateStreamName(stream);
      return this.#statements.head.get(stream)?.version;
    });
  }

  headPosition(): Promise<number> {
    return this.#read(() => this.#statements.headPosition.get()?.position ?? 0);
  }

  verify(stream: string): Promise<VerifyResult> {
    return this.#read(() => {
      validateStreamName(stream);
      return verifyRows(stream, this.#statements.stream.all(stream, 1, -1).map(toRow));
    });
  }

  #read<T>(read: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new ValidationError('the event store is closed'));
    try {
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Appends already accepted into the queue are committed before the file closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#flush();
    this.#closed = true;
    this.#db.close();
  }

  /** For tests and operators: the raw database, e.g. to demonstrate that tampering is detected. */
  get database(): Database.Database {
    return this.#db;
  }
}

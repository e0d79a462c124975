import type Database from 'better-sqlite3';

import {
  ConcurrencyError,
  IdempotencyConflictError,
  IntegrityError,
  UnavailableError,
  ValidationError,
} from '@aman/errors';

import { LogWatch } from '../logWatch.ts';
import {
  assertSameAppend,
  chainRows,
  checkReadAll,
  checkHeadPosition,
  checkReadStream,
  sortHeads,
  validateStreamName,
  expectedVersionHolds,
  prepareEvents,
  toStoredEvent,
  verifyLogRows,
  verifyRows,
  type EventRow,
  type PreparedEvent,
} from '../records.ts';
import type {
  AppendResult,
  DomainEvent,
  EventStore,
  ExpectedVersion,
  LogVerifyResult,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  StreamHead,
  VerifyResult,
} from '../types.ts';
import type { UpcasterRegistry } from '../upcasting.ts';
import { openSqlite, type SqliteOpenOptions } from './openSqlite.ts';

export interface SqliteEventStoreOptions extends SqliteOpenOptions {
  /** Database file. Other processes on this machine may open the same file to tail it. */
  readonly path: string;
  readonly upcasters?: UpcasterRegistry;
  /** How long a hole in the global order may last before readers get an IntegrityError (ms). */
  readonly holeGraceMs?: number;
  /** For crash tests only: runs inside the write transaction, after the inserts, before COMMIT. */
  readonly beforeCommit?: () => void;
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
  append_index: number;
  append_size: number;
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

/**
 * What a caller is told of a failed write: a full disk (or a file at its `maxSizeMb`) is
 * UNAVAILABLE, for the caller to retry once room is made; nothing of the write was stored.
 */
function failureOf(error: unknown): unknown {
  const cause = error instanceof WriteFailed ? error.cause : error;
  if ((cause as { code?: unknown } | undefined)?.code === 'SQLITE_FULL') {
    return new UnavailableError(
      'the event store is full: nothing was stored; retry once room is made',
    );
  }
  return error;
}

interface PendingAppend {
  readonly stream: string;
  readonly prepared: readonly PreparedEvent[];
  readonly expected: ExpectedVersion;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** `PRAGMA user_version` of the schema below; 2 hashes positions and never reuses them. */
const SCHEMA_VERSION = 2;

/** One stored event, its columns bound by name. Exported (as the schema) for the bench's ceiling. */
export const INSERT = `INSERT INTO events (position, id, stream, version, type, schema_version, data,
    occurred_at, recorded_at, actor_organisation_id, actor_principal_id, correlation_id,
    causation_id, traceparent, data_key_id, previous_hash, hash, append_index, append_size)
  VALUES (@position, @id, @stream, @version, @type, @schemaVersion, @data, @occurredAt,
    @recordedAt, @actorOrganisationId, @actorPrincipalId, @correlationId, @causationId,
    @traceparent, @dataKeyId, @previousHash, @hash, @appendIndex, @appendSize)`;

/** Exported for the bench, whose raw ceiling stores the same rows in the same table. */
export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    -- The global order. SQLite runs one write transaction at a time and positions are assigned
    -- inside it, so a reader can never see position N+1 before N has committed: no gaps to skip.
    -- AUTOINCREMENT: a position is never handed out twice, even after the newest row is deleted,
    -- so the log cannot move backwards under a reader's checkpoint.
    position              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    -- Where the event sits in the append that stored it: a retry must repeat that append whole.
    append_index          INTEGER NOT NULL,
    append_size           INTEGER NOT NULL,
    UNIQUE (stream, version)
  ) STRICT;
`;

function createSchema(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version === SCHEMA_VERSION) return;
  const existing = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
    .get();
  if (version !== 0 || existing !== undefined) {
    throw new IntegrityError(
      `this event store file has schema version ${version}, not ${SCHEMA_VERSION}; it was made by a development build and cannot be opened`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function toRow(columns: EventColumns): EventRow {
  return {
    id: columns.id,
    stream: columns.stream,
    version: columns.version,
    position: columns.position,
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
  readonly #watch: LogWatch;
  readonly #beforeCommit: (() => void) | undefined;
  #queue: PendingAppend[] = [];
  #flushScheduled = false;
  #closed = false;

  constructor(options: SqliteEventStoreOptions) {
    this.#db = openSqlite(options.path, options);
    createSchema(this.#db);
    this.#upcasters = options.upcasters ?? {};
    this.#watch = new LogWatch(options.holeGraceMs);
    this.#beforeCommit = options.beforeCommit;
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
      // The last position ever handed out, deleted or not (AUTOINCREMENT's high-water mark).
      lastAssigned: db.prepare<[], { seq: number }>(
        "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
      ),
      log: db.prepare<[], EventColumns>('SELECT * FROM events ORDER BY position'),
      // With MAX(), SQLite takes the bare column `hash` from the row holding the maximum.
      heads: db.prepare<[number], StreamHead>(
        'SELECT stream, MAX(version) AS version, hash FROM events WHERE position <= ? GROUP BY stream',
      ),
      insert: db.prepare(INSERT),
    };
    // A nested better-sqlite3 transaction runs as a savepoint inside the batch's transaction.
    this.#appendInBatch = db.transaction((pending: PendingAppend) => this.#appendNow(pending));
  }

  append<E extends DomainEvent = DomainEvent>(
    stream: string,
    events: readonly NewEvent<E>[],
    options: { readonly expectedVersion: ExpectedVersion },
  ): Promise<AppendResult<E>> {
    if (this.#closed) return Promise.reject(new UnavailableError('the event store is closed'));
    let prepared: PreparedEvent[];
    try {
      prepared = prepareEvents(stream, events, options.expectedVersion);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // The store keeps what it was given; the caller's event type carries over unchecked.
    return new Promise<AppendResult<E>>((resolve, reject) => {
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
        for (const pending of batch) pending.reject(failureOf(error));
        return;
      }
      // An insert failed half-way through an append (an event id already stored elsewhere).
      // The batch was rolled back; run it again with a savepoint around each append.
      try {
        outcomes = this.#commit(batch, true);
      } catch (retryError) {
        for (const pending of batch) pending.reject(failureOf(retryError));
        return;
      }
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) pending.resolve(outcome.result);
      else pending.reject(failureOf(outcome?.error));
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
        this.#beforeCommit?.();
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
    // Inside the write transaction nobody else assigns positions: the next one is known, and it
    // is hashed with the event.
    const next = (this.#statements.lastAssigned.get()?.seq ?? 0) + 1;
    const rows = chainRows(stream, prepared, head, next, new Date().toISOString());
    for (const [index, row] of rows.entries()) {
      try {
        this.#statements.insert.run({ ...row, appendIndex: index, appendSize: rows.length });
      } catch (error) {
        // By code, not instanceof: the native addon keeps the SqliteError class of the first
        // module instance that loaded it (several exist under jest's module registry).
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new WriteFailed(new IdempotencyConflictError());
        }
        throw new WriteFailed(error);
      }
    }
    return appendResult(rows.map((row) => toStoredEvent(row, this.#upcasters)));
  }

  /** The first id is already stored: only the same append, whole, returns what it stored. */
  #retriedAppend(
    stream: string,
    prepared: readonly PreparedEvent[],
    first: EventColumns,
  ): AppendResult {
    if (
      first.stream !== stream ||
      first.append_index !== 0 ||
      first.append_size !== prepared.length
    ) {
      throw new IdempotencyConflictError();
    }
    const rows = this.#statements.range
      .all(stream, first.version, first.version + prepared.length - 1)
      .map(toRow);
    assertSameAppend(stream, prepared, rows);
    return appendResult(rows.map((row) => toStoredEvent(row, this.#upcasters)));
  }

  readStream<E extends DomainEvent = DomainEvent>(
    stream: string,
    options: ReadStreamOptions = {},
  ): Promise<StoredEvent<E>[]> {
    return this.#read(() => {
      const { fromVersion, limit } = checkReadStream(stream, options);
      return this.#statements.stream
        .all(stream, fromVersion, limit ?? -1)
        .map((columns) => toStoredEvent(toRow(columns), this.#upcasters) as StoredEvent<E>);
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.#read(() => {
      const { after, limit } = checkReadAll(options);
      const rows = this.#statements.all.all(after, limit);
      // Dense up to the first missing position, never past it (ADR 0003).
      let dense = 0;
      while (dense < rows.length && rows[dense]?.position === after + dense + 1) dense += 1;
      if (dense > 0) {
        this.#watch.healthy(after);
      } else if (rows.length > 0) {
        this.#watch.report(after, { kind: 'hole' });
      } else if (after > (this.#statements.headPosition.get()?.position ?? 0)) {
        this.#watch.report(after, { kind: 'ahead' });
      } else {
        this.#watch.healthy(after);
      }
      return rows.slice(0, dense).map((columns) => toStoredEvent(toRow(columns), this.#upcasters));
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

  streamHeads(upTo: number): Promise<StreamHead[]> {
    return this.#read(() =>
      sortHeads(
        this.#statements.heads.all(checkHeadPosition(upTo)).map(({ stream, version, hash }) => ({
          stream,
          version,
          hash,
        })),
      ),
    );
  }

  verify(stream: string): Promise<VerifyResult> {
    return this.#read(() => {
      validateStreamName(stream);
      return verifyRows(stream, this.#statements.stream.all(stream, 1, -1).map(toRow));
    });
  }

  verifyLog(): Promise<LogVerifyResult> {
    return this.#read(() => {
      const rows = this.#statements.log.iterate();
      return verifyLogRows(
        (function* () {
          for (const columns of rows) yield toRow(columns);
        })(),
        this.#statements.lastAssigned.get()?.seq ?? 0,
      );
    });
  }

  #read<T>(read: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new UnavailableError('the event store is closed'));
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

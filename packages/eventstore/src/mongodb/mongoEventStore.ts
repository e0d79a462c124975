import {
  MongoBulkWriteError,
  MongoServerError,
  type Collection,
  type Db,
  type MongoClient,
  type WriteError,
} from 'mongodb';

import {
  ConcurrencyError,
  IdempotencyConflictError,
  IntegrityError,
  UnavailableError,
} from '@aman/errors';

import { BoundedMap } from '../boundedMap.ts';
import { LogWatch } from '../logWatch.ts';
import {
  MAX_EVENTS_PER_APPEND,
  appendDigest,
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
  StreamHead as AnchoredHead,
  VerifyResult,
} from '../types.ts';
import type { UpcasterRegistry } from '../upcasting.ts';

/**
 * One document per append (the commit-document model): an append of several events is atomic
 * without multi-document transactions, because it is one insert. Its `_id` is its first position,
 * so the global-order race is decided on `_id` and readers tail by `_id` lookups, the only query
 * FerretDB 1.x answers without reading the whole collection (ADR 0002).
 */
interface CommitDocument {
  /** `String(fromPosition)`. */
  _id: string;
  /** The id of the append's first event; unique, so one append is never stored twice. */
  appendId: string;
  stream: string;
  fromVersion: number;
  toVersion: number;
  fromPosition: number;
  toPosition: number;
  lastHash: string;
  events: EventRow[];
}

/**
 * The stream index: one entry per commit, `_id` = `<stream>#<fromVersion>`, linking a stream's
 * commits in version order. Written after the commit; the log stays the authority, and a missing
 * entry (its writer died in between) is repaired by whoever next collides with that commit.
 */
interface StreamEntry {
  _id: string;
  appendId: string;
  position: number;
  toVersion: number;
  lastHash: string;
}

/**
 * An event id reserved before its commit, `_id` = the event id, bound to the whole append it
 * belongs to. This is what makes every event id unique in the log: FerretDB does not enforce
 * unique indexes on the array of events (ADR 0002).
 */
interface Reservation {
  _id: string;
  append: string;
  index: number;
}

/** A lower bound of the log's head, kept so positions are never handed out twice. */
interface HeadHint {
  _id: string;
  fromPosition: number;
  toPosition: number;
}

export interface MongoEventStoreOptions {
  readonly client: MongoClient;
  readonly database: string;
  /** Name of the commit collection (default `events`); the others are named after it. */
  readonly collection?: string;
  readonly upcasters?: UpcasterRegistry;
  /** Commits per insertMany when appends queue up (default 100). */
  readonly maxBatch?: number;
  /** How long a hole in the global order may last before readers get an IntegrityError (ms). */
  readonly holeGraceMs?: number;
  /** For crash tests only: awaited after an append's ids are reserved, before its commit. */
  readonly afterReserve?: () => Promise<void>;
}

interface PendingAppend {
  readonly stream: string;
  readonly prepared: readonly PreparedEvent[];
  readonly expected: ExpectedVersion;
  readonly digest: string;
  reserved: boolean;
  /** The ids this append reserved itself (not found reserved for it already). */
  own: readonly string[];
  /** Set once the stream head was re-read from the database for this append. */
  freshHead: boolean;
  /** Collisions waited out for the head hint, before reading the log. */
  attempts: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface StreamHead {
  readonly version: number;
  readonly hash: string;
}

const HEAD_CACHE_LIMIT = 10_000;
const DUPLICATE_KEY = 11000;
const HEAD_HINT = 'head';
/** Positions looked up at once when tailing: most appends hold one event. */
const READ_AHEAD = 16;
const PROBE_CHUNK = 32;
const HEAD_CHECK_INTERVAL_MS = 1000;
const HINT_WAITS = 20;

const positionKey = (position: number): string => String(position);
const streamKey = (stream: string, fromVersion: number): string => `${stream}#${fromVersion}`;

/** The version an append with this expectation starts at, when the expectation names one. */
function firstVersionOf(expected: ExpectedVersion): number | undefined {
  if (expected === 'no_stream') return 1;
  return expected === 'any' ? undefined : expected + 1;
}

function isDuplicateKey(error: unknown): boolean {
  return (
    (error instanceof MongoServerError || error instanceof MongoBulkWriteError) &&
    error.code === DUPLICATE_KEY
  );
}

/**
 * The distributed event store on MongoDB (FerretDB 1.x in CI). Every race is decided by an insert
 * against a unique key — the position (`_id`), `(stream, fromVersion)`, the append's first event
 * id, and each event id's reservation — never by read-modify-write updates, which FerretDB 1.x
 * does not isolate (docs/adr/0002-ferretdb-guarantees.md). Every hot read is an `_id` lookup.
 * Appends queued in one process go out together (group commit).
 */
export class MongoEventStore implements EventStore {
  readonly #commits: Collection<CommitDocument>;
  readonly #streams: Collection<StreamEntry>;
  readonly #ids: Collection<Reservation>;
  readonly #hints: Collection<HeadHint>;
  readonly #upcasters: UpcasterRegistry;
  readonly #maxBatch: number;
  readonly #watch: LogWatch;
  readonly #afterReserve: (() => Promise<void>) | undefined;
  readonly #heads = new BoundedMap<string, StreamHead>(HEAD_CACHE_LIMIT);
  #lastPosition: number | undefined;
  #headCheckedAt = 0;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(db: Db, options: MongoEventStoreOptions) {
    // Majority reads: a reader never passes a commit that a failover could roll back, and a
    // retried append is only reported as stored once it cannot be lost.
    const name = options.collection ?? 'events';
    const readConcern = { readConcern: { level: 'majority' as const } };
    this.#commits = db.collection<CommitDocument>(name, readConcern);
    this.#streams = db.collection<StreamEntry>(`${name}.streams`, readConcern);
    this.#ids = db.collection<Reservation>(`${name}.ids`, readConcern);
    this.#hints = db.collection<HeadHint>(`${name}.head`, readConcern);
    this.#upcasters = options.upcasters ?? {};
    this.#maxBatch = options.maxBatch ?? 100;
    this.#watch = new LogWatch(options.holeGraceMs);
    this.#afterReserve = options.afterReserve;
  }

  static async open(options: MongoEventStoreOptions): Promise<MongoEventStore> {
    const store = new MongoEventStore(options.client.db(options.database), options);
    // One at a time: FerretDB 1.24 drops the connection on a createIndexes with several
    // indexes that already exist (docs/adr/0002-ferretdb-guarantees.md). Unique indexes are
    // checked on insert without a scan; they are never queried on a hot path.
    const indexes = [
      { key: { stream: 1, fromVersion: 1 }, name: 'stream_version', unique: true },
      { key: { appendId: 1 }, name: 'append', unique: true },
      { key: { fromPosition: 1 }, name: 'position', unique: true },
    ] as const;
    for (const { key, ...options } of indexes) {
      await store.#commits.createIndex(key, options, {});
    }
    return store;
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
      this.#queue.push({
        stream,
        prepared,
        expected: options.expectedVersion,
        digest: appendDigest(stream, prepared),
        reserved: false,
        own: [],
        freshHead: false,
        attempts: 0,
        resolve,
        reject,
      });
      this.#flushing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Starts after the caller's synchronous push: the loop sees it.
    await Promise.resolve();
    for (;;) {
      if (this.#queue.length === 0) {
        // Cleared in the same turn as the last look at the queue, so an append pushed after this
        // starts a new drain instead of waiting for one that has ended.
        this.#flushing = undefined;
        return;
      }
      const batch = this.#takeBatch();
      try {
        await this.#writeBatch(batch);
      } catch (error) {
        // An unexpected failure (network, server): the outcome of these appends is unknown, so
        // they are rejected; a retry of the same append is idempotent.
        this.#forgetCaches();
        for (const pending of batch) pending.reject(error);
      }
    }
  }

  /** Up to maxBatch appends, at most one per stream (a second one must see the first's head). */
  #takeBatch(): PendingAppend[] {
    const batch: PendingAppend[] = [];
    const rest: PendingAppend[] = [];
    const streams = new Set<string>();
    for (const pending of this.#queue) {
      if (batch.length < this.#maxBatch && !streams.has(pending.stream)) {
        streams.add(pending.stream);
        batch.push(pending);
      } else {
        rest.push(pending);
      }
    }
    this.#queue = rest;
    return batch;
  }

  async #writeBatch(given: PendingAppend[]): Promise<void> {
    const batch = await this.#reserve(given);
    if (batch.length === 0) return;
    const heads = await this.#streamHeads(batch);
    let position = await this.#knownLastPosition();
    const recordedAt = new Date().toISOString();
    const members: PendingAppend[] = [];
    const documents: CommitDocument[] = [];
    const retry: PendingAppend[] = [];

    for (const pending of batch) {
      const head = heads.get(pending.stream);
      if (!expectedVersionHolds(pending.expected, head?.version)) {
        if (!pending.freshHead) {
          // The cached head may be stale: decide on a fresh read.
          this.#heads.delete(pending.stream);
          retry.push(pending);
        } else if (!(await this.#settleIfIndexedAt(pending, firstVersionOf(pending.expected)))) {
          await this.#refuse(
            pending,
            new ConcurrencyError(pending.stream, pending.expected, head?.version),
          );
        }
        continue;
      }
      const rows = chainRows(pending.stream, pending.prepared, head, position + 1, recordedAt);
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first === undefined || last === undefined) continue;
      documents.push({
        _id: positionKey(first.position),
        appendId: first.id,
        stream: pending.stream,
        fromVersion: first.version,
        toVersion: last.version,
        fromPosition: first.position,
        toPosition: last.position,
        lastHash: last.hash,
        events: rows,
      });
      members.push(pending);
      position = last.position;
    }

    let inserted = documents.length;
    let failed = false;
    if (documents.length > 0) {
      try {
        await this.#commits.insertMany(documents, {
          ordered: true,
          writeConcern: { w: 'majority' },
        });
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError) || error.code !== DUPLICATE_KEY) throw error;
        failed = true;
        inserted = error.insertedCount;
      }
    }

    const stored = documents.slice(0, inserted);
    await this.#indexCommits(stored);
    stored.forEach((document, index) => {
      this.#remember(document);
      members[index]?.resolve(this.#result(document));
    });

    if (failed) {
      const document = documents[inserted];
      const pending = members[inserted];
      if (document !== undefined && pending !== undefined) {
        if (!(await this.#resolveCollision(document, pending))) retry.push(pending);
      }
      // Ordered: nothing after the failed commit was inserted; those get new positions.
      retry.push(...members.slice(inserted + 1));
    }
    this.#queue = [...retry, ...this.#queue];
  }

  /**
   * Reserves every event id of the appends not reserved yet. An id reserved for another append is
   * an IdempotencyConflictError; an id reserved for this very append (a retry, a concurrent twin,
   * or a writer that died before its commit) lets the append go on, as a twin.
   */
  async #reserve(batch: PendingAppend[]): Promise<PendingAppend[]> {
    const fresh = batch.filter((pending) => !pending.reserved);
    if (fresh.length === 0) return batch;
    const reservations = fresh.flatMap((pending) =>
      pending.prepared.map((event, index) => ({ _id: event.id, append: pending.digest, index })),
    );
    const taken = new Set<string>();
    try {
      await this.#ids.insertMany(reservations, { ordered: false, writeConcern: { w: 'majority' } });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || error.code !== DUPLICATE_KEY) throw error;
      const failures: readonly WriteError[] = Array.isArray(error.writeErrors)
        ? (error.writeErrors as WriteError[])
        : [error.writeErrors as WriteError];
      for (const failure of failures) {
        if (failure.code !== DUPLICATE_KEY) throw error;
        const reservation = reservations[failure.index];
        if (reservation !== undefined) taken.add(reservation._id);
      }
    }
    const refused = new Set<PendingAppend>();
    await Promise.all(
      fresh.map(async (pending) => {
        const mine = pending.prepared.filter((event) => taken.has(event.id));
        const found = await Promise.all(mine.map((event) => this.#ids.findOne({ _id: event.id })));
        for (const [i, reservation] of found.entries()) {
          const index = pending.prepared.indexOf(mine[i] as PreparedEvent);
          if (
            reservation === null ||
            reservation.append !== pending.digest ||
            reservation.index !== index
          ) {
            refused.add(pending);
          }
        }
        pending.own = pending.prepared.flatMap((event) => (taken.has(event.id) ? [] : [event.id]));
      }),
    );
    for (const pending of fresh) {
      if (refused.has(pending)) await this.#refuse(pending, new IdempotencyConflictError());
      else pending.reserved = true;
    }
    if (this.#afterReserve !== undefined) await this.#afterReserve();
    return batch.filter((pending) => !refused.has(pending));
  }

  /**
   * Rejects an append that is certainly not stored, first freeing the ids it reserved itself: a
   * writer that lost its expected version may decide again with the same ids, as on SQLite.
   */
  async #refuse(pending: PendingAppend, error: Error): Promise<void> {
    await Promise.all(pending.own.map((id) => this.#ids.deleteOne({ _id: id })));
    pending.reject(error);
  }

  /** Writes the stream index entries of stored commits; an entry already there is the same one. */
  async #indexCommits(commits: readonly CommitDocument[]): Promise<void> {
    const last = commits[commits.length - 1];
    if (last === undefined) return;
    const entries = commits.map((commit) => ({
      _id: streamKey(commit.stream, commit.fromVersion),
      appendId: commit.appendId,
      position: commit.fromPosition,
      toVersion: commit.toVersion,
      lastHash: commit.lastHash,
    }));
    await Promise.all([
      this.#streams
        .insertMany(entries, { ordered: false, writeConcern: { w: 'majority' } })
        .catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        }),
      this.#raiseHint(last),
    ]);
  }

  async #raiseHint(commit: CommitDocument): Promise<void> {
    const update = {
      $max: { fromPosition: commit.fromPosition, toPosition: commit.toPosition },
    };
    try {
      await this.#hints.updateOne({ _id: HEAD_HINT }, update, { upsert: true });
    } catch (error) {
      // Two first writers upserted at once: the document exists now.
      if (!isDuplicateKey(error)) throw error;
      await this.#hints.updateOne({ _id: HEAD_HINT }, update);
    }
  }

  /**
   * Why did this commit collide? Settles the append when the collision shows how (it is stored
   * already, or it lost its expected version); false when it should simply be tried again.
   */
  async #resolveCollision(document: CommitDocument, pending: PendingAppend): Promise<boolean> {
    // Most collisions are lost position races. The head hint tells them apart without a lookup
    // in the log (on FerretDB even an _id lookup reads the table, and a writer that reads while
    // others append never catches up): when the hint covers the position, go again right after
    // it. The hint only ever names committed positions, so ADR 0003's rule holds. When it does
    // not cover it yet (its writer is about to raise it), wait a moment and try again; only then
    // read the log. A twin of this append at that position is found on the next collision.
    const hint = await this.#hint();
    if (hint !== null && hint.toPosition >= document.fromPosition) {
      this.#lastPosition = Math.max(this.#lastPosition ?? 0, hint.toPosition);
      return false;
    }
    if (pending.attempts < HINT_WAITS) {
      pending.attempts += 1;
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 4));
      return false;
    }
    pending.attempts = 0;
    const atPosition = await this.#commits.findOne({ _id: document._id });
    if (atPosition !== null) {
      if (atPosition.appendId === document.appendId) {
        // A twin of this append won the same position.
        await this.#indexCommits([atPosition]);
        return this.#settleStored(atPosition, pending);
      }
      // Another writer took the position: learn where the log ends now and go again.
      this.#lastPosition = await this.#walkForward(atPosition.toPosition);
      return false;
    }
    // Not the position: this stream's version or this append's id is taken.
    const key = streamKey(document.stream, document.fromVersion);
    const entry = await this.#streams.findOne({ _id: key });
    if (entry?.appendId === document.appendId) {
      // A twin of this append (a retry sent at once, or before this writer's own crash) won.
      const stored = await this.#commitAt(entry.position);
      if (stored !== null) return this.#settleStored(stored, pending);
    }
    if (entry === null) {
      // The rare path that scans: the commit at this version is not indexed (its writer died
      // before indexing it, or has not got there yet), or a twin stored this append elsewhere.
      const twin = await this.#findUnindexed({ appendId: document.appendId });
      if (twin !== undefined) return this.#settleStored(twin, pending);
      await this.#findUnindexed({ stream: document.stream, fromVersion: document.fromVersion });
    }
    this.#heads.delete(document.stream);
    if (pending.expected === 'any') return false;
    const head = await this.#readHead(document.stream);
    await this.#refuse(
      pending,
      new ConcurrencyError(document.stream, pending.expected, head?.version),
    );
    return true;
  }

  /** Settles `pending` when the commit indexed at `version` of its stream is this very append. */
  async #settleIfIndexedAt(pending: PendingAppend, version: number | undefined): Promise<boolean> {
    if (version === undefined) return false;
    const entry = await this.#streams.findOne({ _id: streamKey(pending.stream, version) });
    if (entry === null || entry.appendId !== pending.prepared[0]?.id) return false;
    const stored = await this.#commitAt(entry.position);
    return stored !== null && this.#settleStored(stored, pending);
  }

  #settleStored(stored: CommitDocument, pending: PendingAppend): boolean {
    try {
      assertSameAppend(pending.stream, pending.prepared, stored.events);
    } catch (error) {
      pending.reject(error);
      return true;
    }
    this.#remember(stored);
    pending.resolve(this.#result(stored));
    return true;
  }

  /**
   * The rare path that scans: a commit whose writer died before indexing it. Indexes it, so the
   * scan happens once per such commit.
   */
  async #findUnindexed(
    filter: { appendId: string } | { stream: string; fromVersion: number },
  ): Promise<CommitDocument | undefined> {
    const commit = await this.#commits.findOne(filter);
    if (commit === null) return undefined;
    await this.#indexCommits([commit]);
    return commit;
  }

  async #commitAt(position: number): Promise<CommitDocument | null> {
    return this.#commits.findOne({ _id: positionKey(position) });
  }

  #remember(document: CommitDocument): void {
    const known = this.#heads.get(document.stream);
    if (known === undefined || known.version <= document.toVersion) {
      this.#heads.set(document.stream, { version: document.toVersion, hash: document.lastHash });
    }
    if (this.#lastPosition === undefined || document.toPosition > this.#lastPosition) {
      this.#lastPosition = document.toPosition;
    }
  }

  #forgetCaches(): void {
    this.#heads.clear();
    this.#lastPosition = undefined;
  }

  #result(document: CommitDocument): AppendResult {
    const events = this.#storedEvents(document);
    return { version: document.toVersion, position: document.toPosition, events };
  }

  #storedEvents(document: CommitDocument): StoredEvent[] {
    return document.events.map((row) => toStoredEvent(row, this.#upcasters));
  }

  async #streamHeads(batch: readonly PendingAppend[]): Promise<Map<string, StreamHead>> {
    const heads = new Map<string, StreamHead>();
    await Promise.all(
      batch.map(async (pending) => {
        const cached = this.#heads.get(pending.stream);
        if (cached !== undefined) {
          heads.set(pending.stream, cached);
          pending.freshHead = false;
          return;
        }
        // A new stream needs no lookup: the unique (stream, fromVersion) index refuses the
        // insert if the stream exists after all, and the collision path reports the conflict.
        // Expected version 0 is how a command handler says "new" (it read no events).
        if (pending.expected === 'no_stream' || pending.expected === 0) return;
        pending.freshHead = true;
        const head = await this.#readHead(pending.stream);
        if (head !== undefined) heads.set(pending.stream, head);
      }),
    );
    return heads;
  }

  /** The stream's head, following its index from the cached head (or from version 1). */
  async #readHead(stream: string): Promise<StreamHead | undefined> {
    let head = this.#heads.get(stream);
    for (;;) {
      const entry = await this.#streams.findOne({
        _id: streamKey(stream, (head?.version ?? 0) + 1),
      });
      if (entry === null) break;
      head = { version: entry.toVersion, hash: entry.lastHash };
    }
    if (head !== undefined) this.#heads.set(stream, head);
    return head;
  }

  async #knownLastPosition(): Promise<number> {
    this.#lastPosition ??= await this.#walkForward(0);
    return this.#lastPosition;
  }

  async #hint(): Promise<HeadHint | null> {
    return this.#hints.findOne({ _id: HEAD_HINT });
  }

  /**
   * The end of the log: from `position` (a commit's last one) or the head hint, whichever is
   * further, following commits a window of `_id` lookups at a time. A writer that fell behind
   * catches up in a few round trips instead of one per commit it missed.
   */
  async #walkForward(position: number): Promise<number> {
    let last = Math.max(position, (await this.#hint())?.toPosition ?? 0);
    for await (const commit of this.#commitsFrom(last + 1)) last = commit.toPosition;
    return last;
  }

  /**
   * The commits that follow each other from `position` on, until the first position where none
   * starts: looked up a window of `_id`s at a time (most commits hold one event).
   */
  async *#commitsFrom(position: number): AsyncGenerator<CommitDocument> {
    let next = position;
    for (;;) {
      const start = next;
      const window = await Promise.all(
        Array.from({ length: READ_AHEAD }, (_, i) => this.#commitAt(start + i)),
      );
      let commit = window[0];
      while (commit !== null && commit !== undefined) {
        yield commit;
        next = commit.toPosition + 1;
        commit = window[next - start];
      }
      // null: nothing starts at `next`, the end for now; undefined: past the window, go on.
      if (commit === null) return;
    }
  }

  async readStream<E extends DomainEvent = DomainEvent>(
    stream: string,
    options: ReadStreamOptions = {},
  ): Promise<StoredEvent<E>[]> {
    this.#assertOpen();
    const { fromVersion, limit } = checkReadStream(stream, options);
    const entries = await this.#streamEntries(stream);
    const wanted = entries.filter((entry) => entry.toVersion >= fromVersion);
    const commits = await Promise.all(wanted.map((entry) => this.#indexedCommit(stream, entry)));
    const events = commits
      .flatMap((commit) => this.#storedEvents(commit))
      .filter((event) => event.version >= fromVersion) as StoredEvent<E>[];
    return limit === undefined ? events : events.slice(0, limit);
  }

  /** The stream's index entries in version order; also refreshes the cached head. */
  async #streamEntries(stream: string): Promise<StreamEntry[]> {
    const entries: StreamEntry[] = [];
    let version = 1;
    for (;;) {
      const entry = await this.#streams.findOne({ _id: streamKey(stream, version) });
      if (entry === null) break;
      entries.push(entry);
      version = entry.toVersion + 1;
    }
    const last = entries[entries.length - 1];
    if (last !== undefined)
      this.#heads.set(stream, { version: last.toVersion, hash: last.lastHash });
    return entries;
  }

  async #indexedCommit(stream: string, entry: StreamEntry): Promise<CommitDocument> {
    const commit = await this.#commitAt(entry.position);
    if (commit === null || commit.stream !== stream || commit.appendId !== entry.appendId) {
      throw new IntegrityError(
        `the stream index points at position ${entry.position}, which does not hold that commit`,
      );
    }
    return commit;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.#assertOpen();
    const { after, limit } = checkReadAll(options);
    const first = await this.#commitAt(after + 1);
    if (first === null) return this.#readAfterMiss(after, limit);
    // Whole commits only (but at least part of the first one).
    const events = this.#storedEvents(first).slice(0, limit);
    if (events.length < limit) {
      for await (const commit of this.#commitsFrom(first.toPosition + 1)) {
        if (events.length + commit.events.length > limit) break;
        events.push(...this.#storedEvents(commit));
        if (events.length === limit) break;
      }
    }
    return this.#tail(after, events);
  }

  #tail(after: number, events: StoredEvent[]): StoredEvent[] {
    this.#watch.healthy(after);
    return events;
  }

  /**
   * No commit starts right after `after`. Usually the reader is at the head; otherwise it stopped
   * inside a commit (a page cut it), or the log has a hole, or it moved back behind the reader.
   */
  async #readAfterMiss(after: number, limit: number): Promise<StoredEvent[]> {
    const hint = await this.#hint();
    const hinted = hint?.toPosition ?? 0;
    // The hint is only raised after its commit is stored, but may lag behind the head.
    const head = hinted >= after ? hinted : await this.#walkForward(hinted);
    if (head > after) {
      // Position after + 1 was committed: inside an earlier commit, or removed.
      const covering = await this.#commitCovering(after + 1);
      if (covering !== undefined) {
        const events = this.#storedEvents(covering).filter((event) => event.position > after);
        return this.#tail(after, events.slice(0, limit));
      }
      this.#watch.report(after, { kind: 'hole' });
      return [];
    }
    if (head < after) {
      this.#watch.report(after, { kind: 'ahead' });
      return [];
    }
    // At the head, unless the newest commit was removed: looked at now and then, not every poll.
    if (hint !== null && Date.now() - this.#headCheckedAt > HEAD_CHECK_INTERVAL_MS) {
      if ((await this.#commitAt(hint.fromPosition)) === null) {
        this.#watch.report(after, { kind: 'ahead' });
        return [];
      }
      this.#headCheckedAt = Date.now();
    }
    this.#watch.healthy(after);
    return [];
  }

  /** The commit holding `position`, which does not start one: probes backwards for its start. */
  async #commitCovering(position: number): Promise<CommitDocument | undefined> {
    const lowest = Math.max(1, position - MAX_EVENTS_PER_APPEND + 1);
    for (let top = position; top >= lowest; top -= PROBE_CHUNK) {
      const candidates = Array.from(
        { length: Math.min(PROBE_CHUNK, top - lowest + 1) },
        (_, i) => top - i,
      );
      const found = await Promise.all(candidates.map((candidate) => this.#commitAt(candidate)));
      const start = found.find((commit) => commit !== null);
      if (start) return start.toPosition >= position ? start : undefined;
    }
    return undefined;
  }

  async streamVersion(stream: string): Promise<number | undefined> {
    this.#assertOpen();
    validateStreamName(stream);
    return (await this.#readHead(stream))?.version;
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    return this.#walkForward(0);
  }

  /**
   * From the stream index (one read of small documents; a scan on FerretDB), checked against the
   * log: positions are dense, so the heads' versions add up to `upTo` exactly when the index
   * knows every commit up to it. When it does not (a writer died before indexing its commit),
   * the heads are read from the log itself.
   */
  async streamHeads(upTo: number): Promise<AnchoredHead[]> {
    this.#assertOpen();
    const at = checkHeadPosition(upTo);
    const last = new Map<string, { entry: StreamEntry; fromVersion: number }>();
    for await (const entry of this.#streams.find({ position: { $lte: at } })) {
      const cut = entry._id.lastIndexOf('#');
      const stream = entry._id.slice(0, cut);
      const fromVersion = Number(entry._id.slice(cut + 1));
      const known = last.get(stream);
      if (known === undefined || known.entry.toVersion < entry.toVersion) {
        last.set(stream, { entry, fromVersion });
      }
    }
    const heads: AnchoredHead[] = [];
    for (const [stream, { entry, fromVersion }] of last) {
      const toPosition = entry.position + entry.toVersion - fromVersion;
      if (toPosition <= at) {
        heads.push({ stream, version: entry.toVersion, hash: entry.lastHash });
        continue;
      }
      // The commit holds `at` and events after it: the head is the event at `at`.
      const row = (await this.#commitAt(entry.position))?.events.find((e) => e.position === at);
      if (row === undefined) return this.#streamHeadsFromLog(at);
      heads.push({ stream, version: row.version, hash: row.hash });
    }
    const counted = heads.reduce((sum, head) => sum + head.version, 0);
    return counted === at ? sortHeads(heads) : this.#streamHeadsFromLog(at);
  }

  /** The rare path that scans the log: every commit that starts at or before `upTo`. */
  async #streamHeadsFromLog(upTo: number): Promise<AnchoredHead[]> {
    const heads = new Map<string, AnchoredHead>();
    for await (const commit of this.#commits.find({ fromPosition: { $lte: upTo } })) {
      for (const row of commit.events) {
        const known = heads.get(row.stream);
        if (row.position <= upTo && (known === undefined || known.version < row.version)) {
          heads.set(row.stream, { stream: row.stream, version: row.version, hash: row.hash });
        }
      }
    }
    return sortHeads([...heads.values()]);
  }

  async verify(stream: string): Promise<VerifyResult> {
    this.#assertOpen();
    validateStreamName(stream);
    // An audit reads the log itself (a scan on FerretDB), not the index that steers appends.
    const commits = await this.#commits.find({ stream }).sort({ fromVersion: 1 }).toArray();
    for (const commit of commits) {
      if (!commitAgrees(commit)) {
        return {
          stream,
          ok: false,
          eventsChecked: 0,
          brokenAtVersion: commit.events[0]?.version ?? commit.fromVersion,
          reason: 'a commit does not agree with the events it holds',
        };
      }
    }
    return verifyRows(
      stream,
      commits.flatMap((commit) => commit.events),
    );
  }

  async verifyLog(): Promise<LogVerifyResult> {
    this.#assertOpen();
    const rows: EventRow[] = [];
    for await (const commit of this.#commits.find({}).sort({ fromPosition: 1 })) {
      if (!commitAgrees(commit)) {
        return {
          ok: false,
          eventsChecked: rows.length,
          brokenAtPosition: rows.length + 1,
          reason: 'a commit does not agree with the events it holds',
        };
      }
      rows.push(...commit.events);
    }
    return verifyLogRows(rows, (await this.#hint())?.toPosition ?? 0);
  }

  #assertOpen(): void {
    if (this.#closed) throw new UnavailableError('the event store is closed');
  }

  async close(): Promise<void> {
    // Appends already accepted are written before the store reports closed.
    while (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
  }
}

/**
 * A commit's own fields steer reads (versions, positions, head hash, `_id`) but are not hashed:
 * they must agree with the hashed rows inside it.
 */
function commitAgrees(commit: CommitDocument): boolean {
  const first = commit.events[0];
  const last = commit.events[commit.events.length - 1];
  return (
    first !== undefined &&
    last !== undefined &&
    commit._id === positionKey(first.position) &&
    commit.appendId === first.id &&
    commit.fromVersion === first.version &&
    commit.toVersion === last.version &&
    commit.fromPosition === first.position &&
    commit.toPosition === last.position &&
    commit.lastHash === last.hash &&
    commit.events.every(
      (row, i) => row.position === first.position + i && row.stream === commit.stream,
    )
  );
}

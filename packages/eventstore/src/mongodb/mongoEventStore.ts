import { MongoBulkWriteError, type Collection, type Db, type MongoClient } from 'mongodb';

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

/**
 * One document per append (the commit-document model): an append of several events is atomic
 * without multi-document transactions, because it is one insert. See
 * docs/adr/0003-global-order-without-gaps.md for why positions are dense and never visible out
 * of order.
 */
interface CommitDocument {
  /** The id of the commit's first event: a retried append collides here and is recognised. */
  _id: string;
  stream: string;
  fromVersion: number;
  toVersion: number;
  /** Global positions of the first and last event; commits tile 1..head with no gap. */
  fromPosition: number;
  toPosition: number;
  lastHash: string;
  events: EventRow[];
}

export interface MongoEventStoreOptions {
  readonly client: MongoClient;
  readonly database: string;
  /** Collection name (default `events`). */
  readonly collection?: string;
  readonly upcasters?: UpcasterRegistry;
  /** Commits per insertMany when appends queue up (default 100). */
  readonly maxBatch?: number;
}

interface PendingAppend {
  readonly stream: string;
  readonly prepared: readonly PreparedEvent[];
  readonly expected: ExpectedVersion;
  /** Set once the stream head was re-read from the database for this append. */
  freshHead: boolean;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface StreamHead {
  readonly version: number;
  readonly hash: string;
}

const HEAD_CACHE_LIMIT = 10_000;
const DUPLICATE_KEY = 11000;

/**
 * The distributed event store on MongoDB (FerretDB 1.x in CI). Every race is decided by a unique
 * index on insert — `_id` (idempotency), `(stream, fromVersion)` (optimistic concurrency) and
 * `fromPosition` (global order) — never by read-modify-write updates, which FerretDB 1.x does not
 * isolate (docs/adr/0002-ferretdb-guarantees.md). Appends queued in one process go out together in
 * one ordered insertMany (group commit).
 */
export class MongoEventStore implements EventStore {
  readonly #commits: Collection<CommitDocument>;
  readonly #upcasters: UpcasterRegistry;
  readonly #maxBatch: number;
  readonly #heads = new Map<string, StreamHead>();
  #lastPosition: number | undefined;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;

  private constructor(db: Db, options: MongoEventStoreOptions) {
    // Majority reads: a reader never passes a commit that a failover could roll back, and a
    // retried append is only reported as stored once it cannot be lost.
    this.#commits = db.collection<CommitDocument>(options.collection ?? 'events', {
      readConcern: { level: 'majority' },
    });
    this.#upcasters = options.upcasters ?? {};
    this.#maxBatch = options.maxBatch ?? 100;
  }

  static async open(options: MongoEventStoreOptions): Promise<MongoEventStore> {
    const store = new MongoEventStore(options.client.db(options.database), options);
    // One at a time: FerretDB 1.24 drops the connection on a createIndexes with several
    // indexes that already exist (docs/adr/0002-ferretdb-guarantees.md).
    const indexes = [
      { key: { stream: 1, fromVersion: 1 }, name: 'stream_version', unique: true },
      { key: { fromPosition: 1 }, name: 'position', unique: true },
      { key: { toPosition: 1 }, name: 'to_position', unique: false },
    ] as const;
    for (const { key, ...options } of indexes) {
      await store.#commits.createIndex(key, options, {});
    }
    return store;
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
      this.#queue.push({
        stream,
        prepared,
        expected: options.expectedVersion,
        freshHead: false,
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
        // they are rejected; a retry with the same event ids is idempotent.
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

  #requeue(appends: PendingAppend[]): void {
    this.#queue = [...appends, ...this.#queue];
  }

  async #writeBatch(batch: PendingAppend[]): Promise<void> {
    const heads = await this.#streamHeads(batch);
    let position = await this.#knownLastPosition();
    const recordedAt = new Date().toISOString();
    const members: PendingAppend[] = [];
    const documents: CommitDocument[] = [];
    const results: AppendResult[] = [];
    const retry: PendingAppend[] = [];
    const conflicts: { pending: PendingAppend; actual: number | undefined }[] = [];

    for (const pending of batch) {
      const head = heads.get(pending.stream);
      if (!expectedVersionHolds(pending.expected, head?.version)) {
        if (pending.freshHead) {
          conflicts.push({ pending, actual: head?.version });
        } else {
          // The cached head may be stale: decide on a fresh read.
          this.#heads.delete(pending.stream);
          retry.push(pending);
        }
        continue;
      }
      const rows = chainRows(
        pending.stream,
        pending.prepared,
        head?.version ?? 0,
        head?.hash ?? GENESIS_HASH,
        recordedAt,
      );
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first === undefined || last === undefined) continue;
      const document: CommitDocument = {
        _id: first.id,
        stream: pending.stream,
        fromVersion: first.version,
        toVersion: last.version,
        fromPosition: position + 1,
        toPosition: position + rows.length,
        lastHash: last.hash,
        events: rows,
      };
      // Built before the insert: once a commit is stored, reporting it can no longer fail.
      let result: AppendResult;
      try {
        result = this.#result(document);
      } catch (error) {
        pending.reject(error);
        continue;
      }
      documents.push(document);
      members.push(pending);
      results.push(result);
      position += rows.length;
    }

    let inserted = documents.length;
    let failure: MongoBulkWriteError | undefined;
    if (documents.length > 0) {
      try {
        await this.#commits.insertMany(documents, {
          ordered: true,
          writeConcern: { w: 'majority' },
        });
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError) || error.code !== DUPLICATE_KEY) throw error;
        failure = error;
        inserted = error.insertedCount;
      }
    }

    for (let index = 0; index < inserted; index += 1) {
      const document = documents[index];
      const pending = members[index];
      const result = results[index];
      if (document === undefined || pending === undefined || result === undefined) continue;
      this.#remember(document);
      pending.resolve(result);
    }

    if (failure !== undefined) {
      const document = documents[inserted];
      const pending = members[inserted];
      if (document !== undefined && pending !== undefined) {
        const settled = await this.#resolveCollision(document, pending);
        if (!settled) retry.push(pending);
      }
      // Ordered: nothing after the failed commit was inserted; those get new positions.
      retry.push(...members.slice(inserted + 1));
    }
    for (const { pending, actual } of conflicts) {
      // A retry of an append that already succeeded moved the stream itself: not a conflict.
      if (!(await this.#resolveRetried(pending))) {
        pending.reject(new ConcurrencyError(pending.stream, pending.expected, actual));
      }
    }
    this.#requeue(retry);
  }

  /** Settles `pending` when its first event id is already stored; false when it is not. */
  async #resolveRetried(pending: PendingAppend): Promise<boolean> {
    const firstId = pending.prepared[0]?.id;
    const existing = firstId === undefined ? null : await this.#commits.findOne({ _id: firstId });
    if (existing === null) return false;
    if (existing.stream === pending.stream && isSameAppend(pending.prepared, existing.events)) {
      this.#remember(existing);
      pending.resolve(this.#result(existing));
    } else {
      pending.reject(
        new ValidationError('an event id of this append is already used by another event'),
      );
    }
    return true;
  }

  /** Why did this commit collide? Returns false when the append should simply be tried again. */
  async #resolveCollision(document: CommitDocument, pending: PendingAppend): Promise<boolean> {
    if (await this.#resolveRetried(pending)) return true;
    const rival = await this.#commits.findOne(
      { stream: document.stream, fromVersion: document.fromVersion },
      { projection: { _id: 1 } },
    );
    if (rival !== null) {
      // Another writer appended to this stream first.
      this.#heads.delete(document.stream);
      if (pending.expected === 'any') return false;
      const head = await this.#readHead(document.stream);
      pending.reject(new ConcurrencyError(document.stream, pending.expected, head?.version));
      return true;
    }
    // Another process took the global position: learn the new head position and go again.
    this.#lastPosition = undefined;
    return false;
  }

  #remember(document: CommitDocument): void {
    this.#heads.delete(document.stream);
    this.#heads.set(document.stream, { version: document.toVersion, hash: document.lastHash });
    if (this.#heads.size > HEAD_CACHE_LIMIT) {
      const oldest = this.#heads.keys().next().value;
      if (oldest !== undefined) this.#heads.delete(oldest);
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
    return document.events.map((row, index) =>
      toStoredEvent(row, document.fromPosition + index, this.#upcasters),
    );
  }

  async #streamHeads(batch: readonly PendingAppend[]): Promise<Map<string, StreamHead>> {
    const heads = new Map<string, StreamHead>();
    const unknown: PendingAppend[] = [];
    for (const pending of batch) {
      const cached = this.#heads.get(pending.stream);
      if (cached !== undefined) heads.set(pending.stream, cached);
      // A new stream needs no lookup: the unique (stream, fromVersion) index refuses the
      // insert if the stream exists after all, and the collision path reports the conflict.
      else if (pending.expected !== 'no_stream') unknown.push(pending);
    }
    if (unknown.length === 0) return heads;
    // One query for all of them (FerretDB answers each query with a collection scan).
    const commits = await this.#commits
      .find(
        { stream: { $in: unknown.map((pending) => pending.stream) } },
        { projection: { stream: 1, toVersion: 1, lastHash: 1 } },
      )
      .toArray();
    for (const commit of commits) {
      const known = heads.get(commit.stream);
      if (known === undefined || commit.toVersion > known.version) {
        heads.set(commit.stream, { version: commit.toVersion, hash: commit.lastHash });
      }
    }
    for (const pending of unknown) {
      pending.freshHead = true;
      const head = heads.get(pending.stream);
      if (head !== undefined) this.#heads.set(pending.stream, head);
    }
    return heads;
  }

  async #readHead(stream: string): Promise<StreamHead | undefined> {
    const last = await this.#commits.findOne(
      { stream },
      { sort: { fromVersion: -1 }, projection: { toVersion: 1, lastHash: 1 } },
    );
    return last === null ? undefined : { version: last.toVersion, hash: last.lastHash };
  }

  async #knownLastPosition(): Promise<number> {
    this.#lastPosition ??= await this.#readLastPosition();
    return this.#lastPosition;
  }

  async #readLastPosition(): Promise<number> {
    const last = await this.#commits.findOne(
      {},
      { sort: { fromPosition: -1 }, projection: { toPosition: 1 } },
    );
    return last?.toPosition ?? 0;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.#assertOpen();
    const { fromVersion, maxCount } = checkReadStream(stream, options);
    const commits = await this.#commits
      .find({ stream, toVersion: { $gte: fromVersion } })
      .sort({ fromVersion: 1 })
      .toArray();
    const events = commits
      .flatMap((commit) => this.#storedEvents(commit))
      .filter((event) => event.version >= fromVersion);
    return maxCount === undefined ? events : events.slice(0, maxCount);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.#assertOpen();
    const { after, limit } = checkReadAll(options);
    const commits = await this.#commits
      .find({ toPosition: { $gt: after } })
      .sort({ fromPosition: 1 })
      .limit(limit)
      .toArray();
    const events: StoredEvent[] = [];
    let expected = after + 1;
    for (const commit of commits) {
      // Positions are dense; stop at anything that is not the next one rather than skip it.
      if (commit.fromPosition > expected) break;
      for (const event of this.#storedEvents(commit)) {
        if (event.position <= after) continue;
        events.push(event);
        expected = event.position + 1;
      }
      if (events.length >= limit) break;
    }
    return events.slice(0, limit);
  }

  async streamVersion(stream: string): Promise<number | undefined> {
    this.#assertOpen();
    validateStreamName(stream);
    return (await this.#readHead(stream))?.version;
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    return this.#readLastPosition();
  }

  async verify(stream: string): Promise<VerifyResult> {
    this.#assertOpen();
    validateStreamName(stream);
    const commits = await this.#commits.find({ stream }).sort({ fromVersion: 1 }).toArray();
    // The commit's own fields steer reads (versions, positions, head hash) but are not hashed:
    // they must agree with the hashed rows inside it.
    for (const commit of commits) {
      const first = commit.events[0];
      const last = commit.events[commit.events.length - 1];
      if (
        first === undefined ||
        last === undefined ||
        commit._id !== first.id ||
        commit.fromVersion !== first.version ||
        commit.toVersion !== last.version ||
        commit.lastHash !== last.hash ||
        commit.toPosition - commit.fromPosition + 1 !== commit.events.length
      ) {
        return {
          stream,
          ok: false,
          eventsChecked: 0,
          brokenAtVersion: first?.version ?? commit.fromVersion,
          reason: 'a commit does not agree with the events it holds',
        };
      }
    }
    return verifyRows(
      stream,
      commits.flatMap((commit) => commit.events),
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new ValidationError('the event store is closed');
  }

  async close(): Promise<void> {
    // Appends already accepted are written before the store reports closed.
    while (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
  }
}

import { randomUUID } from 'node:crypto';

import {
  MongoBulkWriteError,
  MongoServerError,
  type Collection,
  type Db,
  type MongoClient,
  type OptionalUnlessRequiredId,
} from 'mongodb';

import { UnavailableError } from '@aman/errors';

import {
  assertSameSchedule,
  checkClaimOptions,
  checkLimit,
  claimKey,
  expiredReason,
  leaseEnd,
  parsePayload,
  prepareTimer,
  requireTimerId,
  type ClaimOptions,
  type DeadTimer,
  type Outcome,
  type PreparedTimer,
  type Timer,
  type TimerClaim,
  type TimerStore,
} from '../timers.ts';

export interface MongoTimerStoreOptions {
  readonly client: MongoClient;
  readonly database: string;
  /** Name of the pending collection; the others are `<name>.claims`, `.done`, `.dead`. */
  readonly collection?: string;
}

interface PendingDocument {
  _id: string;
  kind: string;
  dueAt: string;
  /** Canonical JSON. */
  payload: string;
  traceparent: string | null;
  fingerprint: string;
  /** A hint for `due`: dueAt, then the end of the last attempt's lease. Claims decide. */
  nextAt: string;
  /** A hint where to start probing claims: the last attempt claimed, 0 before the first. */
  attempt: number;
}

interface ClaimDocument {
  /** `<timer id>#<attempt>`: the unique key that makes each attempt one runner's. */
  _id: string;
  timer: string;
  attempt: number;
  owner: string;
  /** Tells a retried insert that landed from a claim by somebody else. */
  token: string;
  claimedAt: string;
  leaseUntil: string;
  failure: string | null;
}

interface DoneDocument {
  _id: string;
  fingerprint: string;
  outcome: Outcome;
  attempts: number | null;
  reason: string | null;
  doneAt: string;
}

interface DeadDocument {
  _id: string;
  kind: string;
  dueAt: string;
  payload: string;
  traceparent: string | null;
  attempts: number;
  reason: string;
  diedAt: string;
}

type Finish =
  | { readonly outcome: 'fired' | 'cancelled' }
  | { readonly outcome: 'dead'; readonly attempts: number; readonly reason: string };

const DUPLICATE_KEY = 11000;
const MAJORITY = { writeConcern: { w: 'majority' as const } };

function isDuplicateKey(error: unknown): boolean {
  return (
    (error instanceof MongoServerError || error instanceof MongoBulkWriteError) &&
    error.code === DUPLICATE_KEY
  );
}

/** Inserts unless the `_id` is taken; whether it was taken by us is for the caller to read back. */
async function insertOnce<T extends { _id: string }>(
  collection: Collection<T>,
  document: OptionalUnlessRequiredId<T>,
): Promise<boolean> {
  try {
    await collection.insertOne(document, MAJORITY);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

function timerOf(document: PendingDocument | DeadDocument): Timer {
  return {
    id: document._id,
    kind: document.kind,
    dueAt: document.dueAt,
    payload: parsePayload(document.payload),
    ...(document.traceparent === null ? {} : { traceparent: document.traceparent }),
  };
}

function preparedOf(pending: PendingDocument): PreparedTimer {
  return {
    timer: timerOf(pending),
    payloadJson: pending.payload,
    fingerprint: pending.fingerprint,
  };
}

/**
 * Timers on MongoDB (FerretDB 1.x in CI). Every race is decided by an insert against `_id`, never
 * by an update (ADR 0002): a schedule inserts the pending timer, a claim inserts
 * `<id>#<attempt>`, a finish inserts the done record. In-place updates write hints only (where
 * to look next), which a lost update cannot make wrong. Pending timers and claims are removed
 * once a timer finishes, so the collections FerretDB scans stay small; the done records (one
 * small document per finished id, what makes a re-schedule a no-op) are only read by `_id`.
 */
export class MongoTimerStore implements TimerStore {
  readonly #pending: Collection<PendingDocument>;
  readonly #claims: Collection<ClaimDocument>;
  readonly #done: Collection<DoneDocument>;
  readonly #dead: Collection<DeadDocument>;
  #closed = false;

  private constructor(db: Db, name: string) {
    // Majority reads: a claim or done record a failover could roll back is never acted on.
    const readConcern = { readConcern: { level: 'majority' as const } };
    this.#pending = db.collection<PendingDocument>(name, readConcern);
    this.#claims = db.collection<ClaimDocument>(`${name}.claims`, readConcern);
    this.#done = db.collection<DoneDocument>(`${name}.done`, readConcern);
    this.#dead = db.collection<DeadDocument>(`${name}.dead`, readConcern);
  }

  static async open(options: MongoTimerStoreOptions): Promise<MongoTimerStore> {
    const store = new MongoTimerStore(
      options.client.db(options.database),
      options.collection ?? 'timers',
    );
    // One at a time (ADR 0002). They serve MongoDB; FerretDB 1.24 scans regardless.
    await store.#pending.createIndex({ nextAt: 1, _id: 1 }, { name: 'next_at' }, {});
    await store.#claims.createIndex({ timer: 1 }, { name: 'timer' }, {});
    return store;
  }

  async schedule(timer: Timer): Promise<void> {
    this.#assertOpen();
    const prepared = prepareTimer(timer);
    const { id } = prepared.timer;
    const document: PendingDocument = {
      _id: id,
      kind: prepared.timer.kind,
      dueAt: prepared.timer.dueAt,
      payload: prepared.payloadJson,
      traceparent: prepared.timer.traceparent ?? null,
      fingerprint: prepared.fingerprint,
      nextAt: prepared.timer.dueAt,
      attempt: 0,
    };
    for (;;) {
      if (await insertOnce(this.#pending, document)) {
        // A finished id writes its done record before removing its pending timer, so the insert
        // succeeding means any done record of this id is visible now.
        const done = await this.#done.findOne({ _id: id });
        if (done === null) return;
        await this.#pending.deleteOne({ _id: id }, MAJORITY);
        assertSameSchedule(done.fingerprint, prepared);
        return;
      }
      const stored =
        (await this.#pending.findOne({ _id: id })) ?? (await this.#done.findOne({ _id: id }));
      if (stored !== null) {
        assertSameSchedule(stored.fingerprint, prepared);
        return;
      }
      // Removed between the insert and the read without a done record (by hand): insert again.
    }
  }

  async cancel(id: string): Promise<void> {
    this.#assertOpen();
    requireTimerId(id);
    const pending = await this.#pending.findOne({ _id: id });
    if (pending !== null) await this.#finish(preparedOf(pending), { outcome: 'cancelled' });
  }

  async due(now: Date, limit: number): Promise<readonly string[]> {
    this.#assertOpen();
    checkLimit(limit);
    const found = await this.#pending
      .find({ nextAt: { $lte: now.toISOString() } }, { projection: { _id: 1 } })
      .sort({ nextAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return found.map((document) => document._id);
  }

  async claim(id: string, options: ClaimOptions): Promise<TimerClaim | undefined> {
    this.#assertOpen();
    checkClaimOptions(options);
    const now = options.now.toISOString();
    const pending = await this.#pending.findOne({ _id: id });
    if (pending === null || pending.dueAt > now) return undefined;
    let attempt = Math.max(pending.attempt, 1);
    let failure: string | null = null;
    for (;;) {
      if (attempt > options.maxAttempts) {
        const used = attempt - 1;
        await this.#finish(preparedOf(pending), {
          outcome: 'dead',
          attempts: used,
          reason: failure ?? expiredReason(used),
        });
        return undefined;
      }
      const leaseUntil = leaseEnd(options.now, options.leaseMs);
      const mine: ClaimDocument = {
        _id: claimKey(id, attempt),
        timer: id,
        attempt,
        owner: options.owner,
        token: randomUUID(),
        claimedAt: now,
        leaseUntil,
        failure: null,
      };
      const existing = (await insertOnce(this.#claims, mine))
        ? mine
        : await this.#claims.findOne({ _id: mine._id });
      // Claims are cleared only after the done record is written: the timer has finished.
      if (existing === null) return undefined;
      if (existing.token === mine.token) {
        // Finished before this claim (a runner that listed it earlier, or a racing cancel): the
        // done record was written before the claims were cleared, so this read cannot miss it.
        const done = await this.#done.findOne({ _id: id });
        if (done !== null) {
          await this.#clear(preparedOf(pending), done);
          return undefined;
        }
        await this.#pending.updateOne({ _id: id }, { $set: { attempt, nextAt: leaseUntil } });
        return { timer: timerOf(pending), attempt, owner: options.owner, leaseUntil };
      }
      if (existing.leaseUntil > now) return undefined;
      failure = existing.failure;
      attempt += 1;
    }
  }

  async complete(claim: TimerClaim): Promise<void> {
    this.#assertOpen();
    await this.#finish(prepareTimer(claim.timer), { outcome: 'fired' });
  }

  async release(
    claim: TimerClaim,
    failure: { readonly retryAt: Date; readonly reason: string },
  ): Promise<void> {
    this.#assertOpen();
    const retryAt = failure.retryAt.toISOString();
    // The claim has one writer, its owner; others only read it.
    await this.#claims.updateOne(
      { _id: claimKey(claim.timer.id, claim.attempt) },
      { $set: { leaseUntil: retryAt, failure: failure.reason } },
      MAJORITY,
    );
    await this.#pending.updateOne({ _id: claim.timer.id }, { $set: { nextAt: retryAt } });
  }

  async bury(claim: TimerClaim, reason: string): Promise<void> {
    this.#assertOpen();
    await this.#finish(prepareTimer(claim.timer), {
      outcome: 'dead',
      attempts: claim.attempt,
      reason,
    });
  }

  async deadTimers(): Promise<readonly DeadTimer[]> {
    this.#assertOpen();
    const found = await this.#dead.find({}).sort({ diedAt: 1, _id: 1 }).toArray();
    return found.map((document) => ({
      timer: timerOf(document),
      attempts: document.attempts,
      reason: document.reason,
      diedAt: document.diedAt,
    }));
  }

  /** Records how the timer finished (the first record wins), then clears it. */
  async #finish(prepared: PreparedTimer, finish: Finish): Promise<void> {
    const proposed: DoneDocument = {
      _id: prepared.timer.id,
      fingerprint: prepared.fingerprint,
      outcome: finish.outcome,
      attempts: finish.outcome === 'dead' ? finish.attempts : null,
      reason: finish.outcome === 'dead' ? finish.reason : null,
      doneAt: new Date().toISOString(),
    };
    const done = (await insertOnce(this.#done, proposed))
      ? proposed
      : ((await this.#done.findOne({ _id: proposed._id })) ?? proposed);
    await this.#clear(prepared, done);
  }

  /**
   * After the done record: keeps a dead timer for operators, then removes the pending timer and
   * its claims. Every step may be repeated; a process that stops half-way leaves the pending
   * timer, and whoever claims it next finds the done record and finishes the clearing.
   */
  async #clear(prepared: PreparedTimer, done: DoneDocument): Promise<void> {
    const { timer } = prepared;
    if (done.outcome === 'dead') {
      await insertOnce(this.#dead, {
        _id: timer.id,
        kind: timer.kind,
        dueAt: timer.dueAt,
        payload: prepared.payloadJson,
        traceparent: timer.traceparent ?? null,
        attempts: done.attempts ?? 0,
        reason: done.reason ?? '',
        diedAt: done.doneAt,
      });
    }
    await this.#pending.deleteOne({ _id: timer.id }, MAJORITY);
    await this.#claims.deleteMany({ timer: timer.id }, MAJORITY);
  }

  #assertOpen(): void {
    if (this.#closed) throw new UnavailableError('the timer store is closed');
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

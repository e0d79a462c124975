import type Database from 'better-sqlite3';

import { UnavailableError } from '@aman/errors';
import { canonicalJson, openSqlite, type SqliteOpenOptions } from '@aman/eventstore';

import {
  assertSameSchedule,
  checkClaimOptions,
  checkLimit,
  expiredReason,
  leaseEnd,
  parsePayload,
  prepareTimer,
  requireTimerId,
  type ClaimOptions,
  type DeadTimer,
  type Outcome,
  type Timer,
  type TimerClaim,
  type TimerStore,
} from '../timers.ts';

interface TimerRow {
  id: string;
  kind: string;
  due_at: string;
  payload: string;
  traceparent: string | null;
}

interface PendingRow extends TimerRow {
  fingerprint: string;
}

interface ClaimRow {
  attempt: number;
  lease_until: string;
  failure: string | null;
}

interface DoneRow {
  fingerprint: string;
  outcome: Outcome;
  attempts: number | null;
  reason: string | null;
}

interface DeadRow extends TimerRow {
  attempts: number;
  reason: string;
  died_at: string;
}

type Finish =
  | { readonly outcome: 'fired' | 'cancelled' }
  | { readonly outcome: 'dead'; readonly attempts: number; readonly reason: string };

function timerOf(row: TimerRow): Timer {
  return {
    id: row.id,
    kind: row.kind,
    dueAt: row.due_at,
    payload: parsePayload(row.payload),
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
  };
}

/**
 * Timers in a SQLite file (WAL, synchronous FULL). Several processes may share the file: every
 * change runs in an IMMEDIATE transaction, so claiming an attempt (read the last claim, insert
 * the next under its primary key) is one step for everyone. The same layout as the MongoDB
 * adapter: pending timers, one claim row per attempt, a done row per finished id, dead timers.
 */
export class SqliteTimerStore implements TimerStore {
  readonly #db: Database.Database;
  readonly #statements;
  #closed = false;

  constructor(options: { readonly path: string } & Pick<SqliteOpenOptions, 'synchronous'>) {
    this.#db = openSqlite(options.path, options);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS timers (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        due_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        traceparent TEXT,
        fingerprint TEXT NOT NULL,
        -- When a runner should look again: dueAt, then the end of the last attempt's lease.
        next_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS timers_next_at ON timers (next_at, id);
      CREATE TABLE IF NOT EXISTS timers_claims (
        timer_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        owner TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        lease_until TEXT NOT NULL,
        failure TEXT,
        PRIMARY KEY (timer_id, attempt)
      ) STRICT;
      CREATE TABLE IF NOT EXISTS timers_done (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        outcome TEXT NOT NULL,
        attempts INTEGER,
        reason TEXT,
        done_at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS timers_dead (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        due_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        traceparent TEXT,
        attempts INTEGER NOT NULL,
        reason TEXT NOT NULL,
        died_at TEXT NOT NULL
      ) STRICT;`);
    const db = this.#db;
    this.#statements = {
      pending: db.prepare<[string], PendingRow>(
        'SELECT id, kind, due_at, payload, traceparent, fingerprint FROM timers WHERE id = ?',
      ),
      insertPending: db.prepare<[string, string, string, string, string | null, string, string]>(
        `INSERT INTO timers (id, kind, due_at, payload, traceparent, fingerprint, next_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      setNextAt: db.prepare<[string, string]>('UPDATE timers SET next_at = ? WHERE id = ?'),
      deletePending: db.prepare<[string]>('DELETE FROM timers WHERE id = ?'),
      due: db.prepare<[string, number], { id: string }>(
        'SELECT id FROM timers WHERE next_at <= ? ORDER BY next_at, id LIMIT ?',
      ),
      lastClaim: db.prepare<[string], ClaimRow>(
        `SELECT attempt, lease_until, failure FROM timers_claims WHERE timer_id = ?
         ORDER BY attempt DESC LIMIT 1`,
      ),
      insertClaim: db.prepare<[string, number, string, string, string]>(
        `INSERT INTO timers_claims (timer_id, attempt, owner, claimed_at, lease_until)
         VALUES (?, ?, ?, ?, ?)`,
      ),
      releaseClaim: db.prepare<[string, string, string, number, string]>(
        `UPDATE timers_claims SET lease_until = ?, failure = ?
         WHERE timer_id = ? AND attempt = ? AND owner = ?`,
      ),
      deleteClaims: db.prepare<[string]>('DELETE FROM timers_claims WHERE timer_id = ?'),
      done: db.prepare<[string], DoneRow>(
        'SELECT fingerprint, outcome, attempts, reason FROM timers_done WHERE id = ?',
      ),
      insertDone: db.prepare<[string, string, Outcome, number | null, string | null, string]>(
        `INSERT INTO timers_done (id, fingerprint, outcome, attempts, reason, done_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      insertDead: db.prepare<
        [string, string, string, string, string | null, number, string, string]
      >(
        `INSERT INTO timers_dead (id, kind, due_at, payload, traceparent, attempts, reason, died_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      dead: db.prepare<[], DeadRow>(
        `SELECT id, kind, due_at, payload, traceparent, attempts, reason, died_at
         FROM timers_dead ORDER BY died_at, id`,
      ),
    };
  }

  async schedule(timer: Timer): Promise<void> {
    this.#assertOpen();
    const prepared = prepareTimer(timer);
    const { id, kind, dueAt } = prepared.timer;
    this.#db
      .transaction(() => {
        const stored = this.#statements.pending.get(id) ?? this.#statements.done.get(id);
        if (stored !== undefined) {
          assertSameSchedule(stored.fingerprint, prepared);
          return;
        }
        this.#statements.insertPending.run(
          id,
          kind,
          dueAt,
          prepared.payloadJson,
          prepared.timer.traceparent ?? null,
          prepared.fingerprint,
          dueAt,
        );
      })
      .immediate();
  }

  async cancel(id: string): Promise<void> {
    this.#assertOpen();
    requireTimerId(id);
    this.#db
      .transaction(() => {
        const pending = this.#statements.pending.get(id);
        if (pending !== undefined) this.#finish(pending, { outcome: 'cancelled' });
      })
      .immediate();
  }

  async due(now: Date, limit: number): Promise<readonly string[]> {
    this.#assertOpen();
    checkLimit(limit);
    return this.#statements.due.all(now.toISOString(), limit).map((row) => row.id);
  }

  async claim(id: string, options: ClaimOptions): Promise<TimerClaim | undefined> {
    this.#assertOpen();
    checkClaimOptions(options);
    const now = options.now.toISOString();
    return this.#db
      .transaction((): TimerClaim | undefined => {
        const pending = this.#statements.pending.get(id);
        if (pending === undefined || pending.due_at > now) return undefined;
        const last = this.#statements.lastClaim.get(id);
        if (last !== undefined && last.lease_until > now) return undefined;
        const attempt = (last?.attempt ?? 0) + 1;
        if (attempt > options.maxAttempts) {
          const used = attempt - 1;
          this.#finish(pending, {
            outcome: 'dead',
            attempts: used,
            reason: last?.failure ?? expiredReason(used),
          });
          return undefined;
        }
        const leaseUntil = leaseEnd(options.now, options.leaseMs);
        this.#statements.insertClaim.run(id, attempt, options.owner, now, leaseUntil);
        this.#statements.setNextAt.run(leaseUntil, id);
        return { timer: timerOf(pending), attempt, owner: options.owner, leaseUntil };
      })
      .immediate();
  }

  async complete(claim: TimerClaim): Promise<void> {
    this.#assertOpen();
    this.#finishClaimed(claim, { outcome: 'fired' });
  }

  async release(
    claim: TimerClaim,
    failure: { readonly retryAt: Date; readonly reason: string },
  ): Promise<void> {
    this.#assertOpen();
    const retryAt = failure.retryAt.toISOString();
    const { id } = claim.timer;
    this.#db
      .transaction(() => {
        this.#statements.releaseClaim.run(retryAt, failure.reason, id, claim.attempt, claim.owner);
        this.#statements.setNextAt.run(retryAt, id);
      })
      .immediate();
  }

  async bury(claim: TimerClaim, reason: string): Promise<void> {
    this.#assertOpen();
    this.#finishClaimed(claim, { outcome: 'dead', attempts: claim.attempt, reason });
  }

  async deadTimers(): Promise<readonly DeadTimer[]> {
    this.#assertOpen();
    return this.#statements.dead.all().map((row) => ({
      timer: timerOf(row),
      attempts: row.attempts,
      reason: row.reason,
      diedAt: row.died_at,
    }));
  }

  #finishClaimed(claim: TimerClaim, finish: Finish): void {
    const { timer } = claim;
    const row: PendingRow = {
      id: timer.id,
      kind: timer.kind,
      due_at: timer.dueAt,
      payload: canonicalJson(timer.payload),
      traceparent: timer.traceparent ?? null,
      fingerprint: prepareTimer(timer).fingerprint,
    };
    this.#db
      .transaction(() => {
        this.#finish(row, finish);
      })
      .immediate();
  }

  /**
   * Records how the timer finished (the first record wins and is what re-schedules are compared
   * with), keeps a dead timer for operators, and clears the pending row and its claims. A pending
   * row never coexists with a done row here: every step is one transaction.
   */
  #finish(row: PendingRow, finish: Finish): void {
    const now = new Date().toISOString();
    const dead = finish.outcome === 'dead' ? finish : undefined;
    this.#statements.insertDone.run(
      row.id,
      row.fingerprint,
      finish.outcome,
      dead?.attempts ?? null,
      dead?.reason ?? null,
      now,
    );
    const done = this.#statements.done.get(row.id);
    if (done?.outcome === 'dead') {
      this.#statements.insertDead.run(
        row.id,
        row.kind,
        row.due_at,
        row.payload,
        row.traceparent,
        done.attempts ?? 0,
        done.reason ?? '',
        now,
      );
    }
    this.#statements.deletePending.run(row.id);
    this.#statements.deleteClaims.run(row.id);
  }

  #assertOpen(): void {
    if (this.#closed) throw new UnavailableError('the timer store is closed');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

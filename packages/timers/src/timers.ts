import { createHash } from 'node:crypto';

import {
  AmanError,
  IdempotencyConflictError,
  IntegrityError,
  ValidationError,
  requireIdentifier,
  requireText,
  requireTimestamp,
} from '@aman/errors';
import { canonicalJson, isTraceparent, type JsonObject } from '@aman/eventstore';

/**
 * Something a service wants done at a time, surviving restarts. The payload is JSON that says
 * what to do (an assessment id, a deadline number), never personal data: it is stored in plain
 * text, handed to whichever runner fires the timer, and kept for operators when the timer dies.
 */
export interface Timer {
  /**
   * Chosen by the scheduler and deterministic (e.g. `reassess:<assessmentId>:3`), so a retried
   * schedule names the same timer. Letters, digits and `_.:-`, at most 128 characters.
   */
  readonly id: string;
  /** What the timer is for, to route the firing (e.g. `risk.reassessment-due`). Same rules as id. */
  readonly kind: string;
  /** When it is due: RFC 3339 with an offset, kept as ISO-8601 UTC with milliseconds. */
  readonly dueAt: string;
  /** Plain JSON, at most 16 KiB of it; no personal data. */
  readonly payload: JsonObject;
  /** The trace of the request that scheduled it; the firing continues it. Not part of identity. */
  readonly traceparent?: string;
}

/** One attempt at firing a timer, held exclusively by one runner until `leaseUntil`. */
export interface TimerClaim {
  readonly timer: Timer;
  /** 1 for the first attempt; each attempt number is claimed by one runner at most. */
  readonly attempt: number;
  readonly owner: string;
  /** ISO-8601 UTC: after this, another runner may claim the next attempt. */
  readonly leaseUntil: string;
}

/** A timer whose attempts are used up: kept for an operator, never fired again by itself. */
export interface DeadTimer {
  readonly timer: Timer;
  readonly attempts: number;
  /** Why the last attempt failed, in terms safe to log (an AMAN_ERR_* code or a class name). */
  readonly reason: string;
  readonly diedAt: string;
}

export interface ClaimOptions {
  /** The claiming runner's clock: nothing is claimed before it is due or while a lease runs. */
  readonly now: Date;
  readonly leaseMs: number;
  /** Unique per runner. */
  readonly owner: string;
  /** A timer whose next attempt would be past this goes to the dead timers instead. */
  readonly maxAttempts: number;
}

/**
 * Where timers wait. Adapters: `SqliteTimerStore` (embedded) and `MongoTimerStore` (distributed).
 *
 * Once: each attempt of a timer is claimed by a unique insert (`<id>#<attempt>`), so two runners
 * never hold the same attempt; after a handler succeeds, `complete` records the timer as finished
 * before it clears anything, and a timer with a finished record never fires again. A runner that
 * dies holding a claim leaves it to expire; the next attempt is then claimed by someone else. The
 * effect is therefore at least once, each attempt exclusive: handlers make it once (ADR 0005).
 */
export interface TimerStore {
  /**
   * Idempotent by id: the same id with the same kind, dueAt and payload again is a no-op, also
   * after the timer fired, was cancelled or died (it does not fire again); different content is
   * an IdempotencyConflictError. Bad input is a ValidationError that quotes none of it.
   */
  schedule(timer: Timer): Promise<void>;
  /** A cancelled timer never starts firing again. Unknown or finished ids are a no-op. */
  cancel(id: string): Promise<void>;
  /** Ids of pending timers that may be claimable at `now`, the earliest first. */
  due(now: Date, limit: number): Promise<readonly string[]>;
  /**
   * Claims the timer's next attempt, or returns undefined: not due, finished, or an attempt whose
   * lease still runs. When the attempts are used up, moves the timer to the dead timers.
   */
  claim(id: string, options: ClaimOptions): Promise<TimerClaim | undefined>;
  /** The handler succeeded: the timer is finished and never fires again. */
  complete(claim: TimerClaim): Promise<void>;
  /** The handler failed: the next attempt may be claimed from `retryAt`. */
  release(
    claim: TimerClaim,
    failure: { readonly retryAt: Date; readonly reason: string },
  ): Promise<void>;
  /** The handler failed on the last attempt: the timer goes to the dead timers. */
  bury(claim: TimerClaim, reason: string): Promise<void>;
  /** Timers that died, oldest death first, for an operator. */
  deadTimers(): Promise<readonly DeadTimer[]>;
  close(): Promise<void>;
}

/** How a timer finished: what a re-schedule of its id is compared with. */
export type Outcome = 'fired' | 'cancelled' | 'dead';

export const MAX_PAYLOAD_BYTES = 16 * 1024;

/** A validated timer as adapters store it. */
export interface PreparedTimer {
  readonly timer: Timer;
  /** Canonical JSON of the payload. */
  readonly payloadJson: string;
  /** What makes two schedules of one id the same: kind, dueAt and payload. */
  readonly fingerprint: string;
}

// ISO-8601 as Date#toISOString writes years 0–9999: fixed width, so text order is time order.
const SORTABLE_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Checks a timer and gives it the one form adapters store and compare. */
export function prepareTimer(value: unknown): PreparedTimer {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError('a timer is an object with id, kind, dueAt and payload');
  }
  const given = value as Record<string, unknown>;
  const id = requireTimerId(given['id']);
  const kind = requireIdentifier(given['kind'], 'timer kind');
  const dueAt = requireTimestamp(given['dueAt'], 'timer dueAt');
  if (!SORTABLE_INSTANT.test(dueAt)) {
    throw new ValidationError('timer dueAt must fall in the years 0000 to 9999');
  }
  const payload = given['payload'];
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ValidationError('timer payload must be a JSON object');
  }
  let payloadJson: string;
  try {
    payloadJson = canonicalJson(payload);
  } catch (error) {
    // canonicalJson's messages name the kind of value and its depth, never the value.
    const detail = AmanError.is(error) ? `: ${error.message}` : '';
    throw new ValidationError(`timer payload must be plain JSON${detail}`);
  }
  const size = Buffer.byteLength(payloadJson, 'utf8');
  if (size > MAX_PAYLOAD_BYTES) {
    throw new ValidationError(
      `timer payload is ${size} bytes of JSON, more than the ${MAX_PAYLOAD_BYTES} allowed`,
    );
  }
  const traceparent = given['traceparent'];
  if (
    traceparent !== undefined &&
    (typeof traceparent !== 'string' || !isTraceparent(traceparent))
  ) {
    throw new ValidationError('timer traceparent must be a W3C traceparent');
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([kind, dueAt, payloadJson]))
    .digest('hex');
  return {
    timer: {
      id,
      kind,
      dueAt,
      payload: JSON.parse(payloadJson) as JsonObject,
      ...(traceparent === undefined ? {} : { traceparent }),
    },
    payloadJson,
    fingerprint,
  };
}

export function requireTimerId(value: unknown): string {
  return requireIdentifier(value, 'timer id');
}

/** Refuses a second schedule of an id with other content; says nothing of either content. */
export function assertSameSchedule(stored: string, given: PreparedTimer): void {
  if (stored !== given.fingerprint) {
    throw new IdempotencyConflictError(
      'this timer id is already scheduled (or was) with a different kind, dueAt or payload',
    );
  }
}

/** A stored payload back as JSON; one that does not parse is reported without its content. */
export function parsePayload(text: string): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as JsonObject;
    }
  } catch {
    // reported below
  }
  throw new IntegrityError('a stored timer payload is not a JSON object');
}

/** The claim key: `#` is not allowed in timer ids, so keys of different timers never meet. */
export function claimKey(id: string, attempt: number): string {
  return `${id}#${attempt}`;
}

export function leaseEnd(now: Date, leaseMs: number): string {
  return new Date(now.getTime() + leaseMs).toISOString();
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new ValidationError('limit must be a positive integer');
  }
}

export function checkClaimOptions(options: ClaimOptions): void {
  if (Number.isNaN(options.now.getTime())) throw new ValidationError('now must be a valid date');
  if (!Number.isSafeInteger(options.leaseMs) || options.leaseMs <= 0) {
    throw new ValidationError('leaseMs must be a positive integer');
  }
  if (!Number.isSafeInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new ValidationError('maxAttempts must be a positive integer');
  }
  requireText(options.owner, 'owner');
}

/** Why an attempt ran out without a failure recorded: its runner stopped within the lease. */
export function expiredReason(attempt: number): string {
  return `attempt ${attempt} did not finish within its lease`;
}

/**
 * A UUID (RFC 9562 version 8) made from a timer id and an index, the same on every attempt: a
 * handler that appends its events with these ids, and with content that depends only on the
 * timer, makes a repeated firing a repeat of the same append, which the event store accepts
 * without storing anything twice.
 */
export function firingEventId(timerId: string, index = 0): string {
  requireTimerId(timerId);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new ValidationError('index must be a non-negative integer');
  }
  const bytes = createHash('sha256')
    .update(`aman-timer-event\u0000${timerId}\u0000${index}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

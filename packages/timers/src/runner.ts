import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { AmanError, ValidationError } from '@aman/errors';
import { StopSignal } from '@aman/eventstore';

import type { Timer, TimerClaim, TimerStore } from './timers.ts';

/** What a handler is given: the timer, and which attempt at firing it this is (1 first). */
export interface TimerFiring {
  readonly timer: Timer;
  readonly attempt: number;
}

/**
 * What went wrong, in terms safe to log: a handler failure carries the timer's id and kind and a
 * reason (an AMAN_ERR_* code and message, or only the error's class name), never the handler's
 * own error, whose message could hold anything; a store failure carries the driver's error.
 */
export type TimerProblem =
  | { readonly stage: 'store'; readonly error: unknown }
  | {
      readonly stage: 'handler';
      readonly timerId: string;
      readonly kind: string;
      readonly attempt: number;
      readonly reason: string;
      /** When the next attempt may start; absent when the timer went to the dead timers. */
      readonly retryAt?: string;
      readonly dead: boolean;
    };

export interface TimerRunnerOptions {
  readonly store: TimerStore;
  /**
   * Does what the timer is for. It may run more than once for one timer (a runner that died
   * after the effect, before recording it; a handler slower than the lease), each time with a
   * new attempt number: make the effect idempotent (ADR 0005).
   */
  readonly handle: (firing: TimerFiring) => Promise<void>;
  readonly clock?: () => Date;
  /** Pause between polls when nothing was due (default 1 s). */
  readonly pollMs?: number;
  /**
   * How long an attempt is this runner's alone (default 60 s). Longer than any handler takes:
   * once it ends, another runner may start the next attempt. Clocks of runners sharing a store
   * must agree to well within it.
   */
  readonly leaseMs?: number;
  /** Unique per runner (default host, process id and a random suffix). */
  readonly owner?: string;
  /** Attempts before a timer goes to the dead timers (default 10); runners that died count. */
  readonly maxAttempts?: number;
  /** Pause after the first failed attempt, doubled after each further one (default 1 s). */
  readonly retryMs?: number;
  /** The longest pause between attempts (default 10 min). */
  readonly maxRetryMs?: number;
  /** Timers claimed per poll (default 50). */
  readonly batchSize?: number;
  /**
   * Handlers run at once (default 1). Above 1, timers fire in no particular order: use it only
   * where each timer's effect stands alone (webhook attempts: a provider's notices about a case
   * are ordered by their queue, which has one timer at a time).
   */
  readonly concurrency?: number;
  readonly onProblem?: (problem: TimerProblem) => void;
}

/**
 * Fires due timers from a TimerStore: polls, claims each due timer's next attempt, runs the
 * handler, and records the timer as fired when the handler resolves. A handler that throws is
 * retried with exponential backoff; after `maxAttempts` the timer goes to the store's dead
 * timers. `concurrency` handlers at a time per runner (one by default); run more runners (any
 * number of processes) for more.
 */
export class TimerRunner {
  readonly #store: TimerStore;
  readonly #handle: (firing: TimerFiring) => Promise<void>;
  readonly #clock: () => Date;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #owner: string;
  readonly #maxAttempts: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #onProblem: (problem: TimerProblem) => void;
  readonly #pause = new StopSignal();
  #woken = false;
  #loop: Promise<void> | undefined;

  constructor(options: TimerRunnerOptions) {
    this.#store = options.store;
    this.#handle = options.handle;
    this.#clock = options.clock ?? (() => new Date());
    this.#pollMs = positive(options.pollMs, 1000, 'pollMs');
    this.#leaseMs = positive(options.leaseMs, 60_000, 'leaseMs');
    this.#owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#maxAttempts = positive(options.maxAttempts, 10, 'maxAttempts');
    this.#retryMs = positive(options.retryMs, 1000, 'retryMs');
    this.#maxRetryMs = positive(options.maxRetryMs, 600_000, 'maxRetryMs');
    this.#batchSize = positive(options.batchSize, 50, 'batchSize');
    this.#concurrency = positive(options.concurrency, 1, 'concurrency');
    this.#onProblem = options.onProblem ?? (() => undefined);
  }

  /** Fires what is due now, up to one batch; resolves with the number of attempts run. */
  async runOnce(): Promise<number> {
    const due = await this.#store.due(this.#clock(), this.#batchSize);
    const running = new Set<Promise<void>>();
    // The first store failure of a firing; the others' are the same outage.
    let failed: { readonly error: unknown } | undefined;
    let attempts = 0;
    try {
      for (const id of due) {
        while (running.size >= this.#concurrency) await Promise.race(running);
        if (this.#pause.isStopped() || failed !== undefined) break;
        const claim = await this.#store.claim(id, {
          now: this.#clock(),
          leaseMs: this.#leaseMs,
          owner: this.#owner,
          maxAttempts: this.#maxAttempts,
        });
        if (claim === undefined) continue;
        attempts += 1;
        const firing: Promise<void> = this.#fire(claim)
          .catch((error: unknown) => {
            failed ??= { error };
          })
          .finally(() => running.delete(firing));
        running.add(firing);
      }
    } finally {
      await Promise.all(running);
    }
    if (failed !== undefined) throw failed.error;
    return attempts;
  }

  /** Keeps firing until stop(); a failed poll is reported and tried again after the pause. */
  start(): void {
    this.#loop ??= (async () => {
      while (!this.#pause.isStopped()) {
        let attempts = 0;
        try {
          attempts = await this.runOnce();
        } catch (error) {
          this.#report({ stage: 'store', error });
        }
        // A full batch means more may be due, and a wake-up that something is: go on at once.
        if (attempts < this.#batchSize && !this.#woken) await this.#pause.sleep(this.#pollMs);
        this.#woken = false;
      }
    })();
  }

  /**
   * Looks for due timers now rather than at the next poll: the scheduler of a timer due at once
   * (a webhook's first attempt) calls it, so that the poll interval adds nothing to its latency.
   */
  wake(): void {
    this.#woken = true;
    this.#pause.interrupt();
  }

  /** Stops polling and resolves once the handlers in flight, if any, have finished. */
  async stop(): Promise<void> {
    this.#pause.stop();
    await this.#loop;
  }

  async #fire(claim: TimerClaim): Promise<void> {
    try {
      await this.#handle({ timer: claim.timer, attempt: claim.attempt });
    } catch (error) {
      const reason = failureReason(error);
      const problem = {
        stage: 'handler',
        timerId: claim.timer.id,
        kind: claim.timer.kind,
        attempt: claim.attempt,
        reason,
      } as const;
      if (claim.attempt >= this.#maxAttempts) {
        this.#report({ ...problem, dead: true });
        await this.#store.bury(claim, reason);
      } else {
        const pause = Math.min(this.#retryMs * 2 ** (claim.attempt - 1), this.#maxRetryMs);
        const retryAt = new Date(this.#clock().getTime() + pause);
        this.#report({ ...problem, retryAt: retryAt.toISOString(), dead: false });
        await this.#store.release(claim, { retryAt, reason });
      }
      return;
    }
    await this.#store.complete(claim);
  }

  #report(problem: TimerProblem): void {
    try {
      this.#onProblem(problem);
    } catch {
      // A failing reporter must not stop the timers.
    }
  }
}

/** An AmanError's code and message (never personal data), or only the error's class name. */
export function failureReason(error: unknown): string {
  if (AmanError.is(error)) return `${error.code}: ${error.message}`;
  const name = error instanceof Error ? error.name : typeof error;
  return `handler failed with ${name}`;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${field} must be a positive integer`);
  }
  return value;
}

import { IntegrityError } from '@aman/errors';

/** What a read found where the log should have continued. */
export type LogAnomaly =
  /** Positions after the reader exist, but the next one does not. */
  | { readonly kind: 'hole' }
  /** The reader's position is beyond the last stored event: the newest events were removed. */
  | { readonly kind: 'ahead' };

/** Default grace period of a hole: long enough for a replica to catch up, short enough to page someone. */
export const DEFAULT_HOLE_GRACE_MS = 5_000;

const WATCHED_POSITIONS = 1_000;

/**
 * Turns lasting anomalies of the global order into IntegrityErrors. Under ADR 0003 no writer can
 * leave a hole, so a reader that finds one stops there (never skips it) and, once the hole has
 * outlasted the grace period, reports it loudly instead of waiting for ever.
 */
export class LogWatch {
  readonly #graceMs: number;
  readonly #now: () => number;
  /** Reader position → when the anomaly there was first seen. */
  readonly #since = new Map<number, number>();

  constructor(graceMs: number = DEFAULT_HOLE_GRACE_MS, now: () => number = Date.now) {
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new RangeError('the hole grace period must be a non-negative number of milliseconds');
    }
    this.#graceMs = graceMs;
    this.#now = now;
  }

  /** A read after `after` found `anomaly`; throws once it has lasted longer than the grace period. */
  report(after: number, anomaly: LogAnomaly): void {
    const now = this.#now();
    const since = this.#since.get(after);
    if (since === undefined) {
      if (this.#since.size >= WATCHED_POSITIONS) this.#since.clear();
      this.#since.set(after, now);
      if (this.#graceMs > 0) return;
    } else if (now - since < this.#graceMs) {
      return;
    }
    const lasted = `${Math.round((now - (since ?? now)) / 1000)} s`;
    throw new IntegrityError(
      anomaly.kind === 'hole'
        ? `the event log has no position ${after + 1} although later positions exist (for ${lasted}): an event was removed or the store is corrupt`
        : `a reader at position ${after} is ahead of the event log's head (for ${lasted}): the newest events were removed, or the reader's checkpoint belongs to another store`,
    );
  }

  /** The read after `after` found the log as it should be. */
  healthy(after: number): void {
    if (this.#since.size > 0) this.#since.delete(after);
  }
}

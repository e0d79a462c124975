/**
 * How many failed authentications a key id or a source may have in a window before it is
 * answered 429 instead of 401. Stricter than the general rate limit: a key is 178 random bits,
 * so a client that keeps failing is probing or broken, never a person who mistyped twice.
 *
 * A valid key is never throttled here, whatever its source has done: Tor exits and VPNs put many
 * people behind one address, and one of them failing must not lock the others out.
 */
export class FailureBudget {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: {
    /** Failures allowed in the window; the next one is refused. */
    readonly limit: number;
    readonly windowMs: number;
    /** Beyond so many keys tracked, the oldest are forgotten: memory stays bounded. */
    readonly maxTracked?: number;
  }) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new Error('a failure budget allows at least one failure');
    }
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /** Counts a failure of `key` at `now`; the seconds to wait when the budget is spent. */
  fail(key: string, now: number): number | undefined {
    const recent = this.#recent(key, now);
    recent.push(now);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    if (this.#failures.size > this.#maxTracked) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    return this.#wait(recent, now);
  }

  /** The seconds to wait if `key` has spent its budget, without counting anything. */
  waitFor(key: string, now: number): number | undefined {
    return this.#wait(this.#recent(key, now), now);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((at) => now - at < this.#windowMs);
  }

  #wait(recent: readonly number[], now: number): number | undefined {
    if (recent.length <= this.#limit) return undefined;
    // Free again when enough of the window's failures have aged out.
    const freedAt = (recent[recent.length - this.#limit - 1] ?? now) + this.#windowMs;
    return Math.max(1, Math.ceil((freedAt - now) / 1000));
  }
}

import { AmanError } from '@aman/errors';
import { BoundedMap } from '@aman/eventstore';

import type { BusMessage, DeliveryContext, SubscribeOptions } from './types.ts';

/**
 * Consumer-side dedupe: a per-stream version guard. Redelivered messages (after a rebalance, a
 * restart, a relay that published twice) carry a version the group has already applied and are
 * skipped. Handlers that write state keep their own durable guard too (the projection runner
 * stores the version with the document), so a crash between handling and committing cannot
 * apply an event twice either.
 */
export class StreamVersionGuard {
  readonly #applied: BoundedMap<string, number>;

  constructor(limit = 100_000) {
    this.#applied = new BoundedMap(limit);
  }

  /** Stream names are only unique within their producing context (`ce_source`). */
  static #key(message: BusMessage): string {
    return `${message.source}\u0000${message.stream}`;
  }

  alreadyApplied(message: BusMessage): boolean {
    const last = this.#applied.get(StreamVersionGuard.#key(message));
    return last !== undefined && message.streamVersion <= last;
  }

  markApplied(message: BusMessage): void {
    this.#applied.set(StreamVersionGuard.#key(message), message.streamVersion);
  }
}

export type DeliveryOutcome =
  | { readonly ok: true }
  /** The subscription is stopping: leave the message unacknowledged for the next consumer. */
  | { readonly ok: false; readonly interrupted: true }
  | {
      readonly ok: false;
      readonly interrupted: false;
      readonly errorCode: string;
      readonly errorMessage: string;
      readonly attempts: number;
    };

/** How often, and how soon again, a subscription retries a failing handler unless it says. */
export const DEFAULT_RETRY = { maxAttempts: 5, retryDelayMs: 50 } as const;

/** The longest pause between retries of a handler that says something it needs is unavailable. */
export const MAX_UNAVAILABLE_DELAY_MS = 5_000;

/**
 * Runs the subscription's handler until it succeeds or has failed `maxAttempts` times, waiting
 * between attempts (DEFAULT_RETRY where the subscription does not say). A failure that says
 * something the handler needs is unavailable (AMAN_ERR_UNAVAILABLE: a database or service down
 * or restarting) is not the message's fault: it is retried, the pause growing to
 * MAX_UNAVAILABLE_DELAY_MS, for as long as it lasts, and never dead-letters the message; the
 * messages after it wait, in order.
 * Returns why it gave up in terms safe to store: an AMAN_ERR_* code and that error's message
 * (AmanError messages never carry personal data); other errors are reduced to their class name.
 */
export async function deliverWithRetries(
  subscription: SubscribeOptions,
  message: BusMessage,
  topic: string,
  stopping: () => boolean,
): Promise<DeliveryOutcome> {
  const maxAttempts = subscription.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const retryDelayMs = subscription.retryDelayMs ?? DEFAULT_RETRY.retryDelayMs;
  let lastError: unknown;
  let attempt = 0;
  let unavailable = 0;
  while (attempt < maxAttempts) {
    attempt += 1;
    const context: DeliveryContext = { topic, attempt };
    try {
      await subscription.handler(message, context);
      return { ok: true };
    } catch (error) {
      lastError = error;
      if (stopping()) return { ok: false, interrupted: true };
      if (AmanError.is(error, 'AMAN_ERR_UNAVAILABLE')) {
        // Not counted against the message: the same attempt again, later and later.
        attempt -= 1;
        const pause = Math.min(
          retryDelayMs * 2 ** Math.min(unavailable, 20),
          MAX_UNAVAILABLE_DELAY_MS,
        );
        unavailable += 1;
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      if (attempt < maxAttempts) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
  return { ok: false, interrupted: false, ...describeFailure(lastError), attempts: attempt };
}

export function describeFailure(error: unknown): { errorCode: string; errorMessage: string } {
  if (AmanError.is(error)) return { errorCode: error.code, errorMessage: error.message };
  const name = error instanceof Error ? error.name : typeof error;
  return { errorCode: 'AMAN_ERR_INTERNAL', errorMessage: `handler failed with ${name}` };
}

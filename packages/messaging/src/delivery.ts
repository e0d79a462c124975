import { AmanError } from '@aman/errors';
import { BoundedMap } from '@aman/eventstore';

import type { BusMessage, DeliveryContext, MessageHandler } from './types.ts';

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

/**
 * Runs the handler until it succeeds or has failed `maxAttempts` times, waiting between attempts.
 * Returns why it gave up in terms safe to store: an AMAN_ERR_* code and that error's message
 * (AmanError messages never carry personal data); other errors are reduced to their class name.
 */
export async function deliverWithRetries(
  handler: MessageHandler,
  message: BusMessage,
  topic: string,
  options: {
    readonly maxAttempts: number;
    readonly retryDelayMs: number;
    readonly stopping: () => boolean;
  },
): Promise<DeliveryOutcome> {
  let lastError: unknown;
  let attempt = 0;
  while (attempt < options.maxAttempts) {
    attempt += 1;
    const context: DeliveryContext = { topic, attempt };
    try {
      await handler(message, context);
      return { ok: true };
    } catch (error) {
      lastError = error;
      if (options.stopping()) return { ok: false, interrupted: true };
      if (attempt < options.maxAttempts) {
        await new Promise((resolve) =>
          setTimeout(resolve, options.retryDelayMs * 2 ** (attempt - 1)),
        );
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

import { UnavailableError } from '@aman/errors';
import type { EventStore } from '@aman/eventstore';

/**
 * Resolves once `store` shows `stream` at `version` at least. A service consuming its own events
 * must not read its store behind the event it reacts to: on MongoDB a commit reaches the log (and
 * the relay publishes it) a moment before the stream's index shows it, and a handler reading the
 * stream then would decide on the state before its own event (ADR 0008). Waits up to `withinMs`,
 * then UNAVAILABLE, which the subscription retries without dead-lettering the event.
 */
export async function untilStoreHolds(
  store: Pick<EventStore, 'streamVersion'>,
  stream: string,
  version: number,
  withinMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (((await store.streamVersion(stream)) ?? 0) < version) {
    if (Date.now() > deadline) {
      throw new UnavailableError('the store does not show this event’s stream that far yet');
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

import { describe, expect, it } from '@jest/globals';

import { AmanError } from '@aman/errors';

import { untilStoreHolds } from './ownEvents.ts';

// A consumer of its own service's events waits until its store shows the event: on MongoDB the
// log (and the relay) can be a moment ahead of a stream's index (the infra fault suite lost a
// provider's webhook that way, right after FerretDB restarted).

/** A store whose stream index shows `versions` one read after another, then the last for good. */
function lagging(versions: readonly (number | undefined)[]) {
  let reads = 0;
  return {
    reads: () => reads,
    streamVersion: async () => {
      reads += 1;
      return versions[Math.min(reads, versions.length) - 1];
    },
  };
}

describe('a consumer of its own events', () => {
  it('goes on once the store shows the event’s version, not before', async () => {
    const store = lagging([undefined, 1, 2, 3]);
    await untilStoreHolds(store, 'referral-1', 3);
    expect(store.reads()).toBe(4);
  });

  it('goes on at once when the store is already there or past it', async () => {
    const store = lagging([5]);
    await untilStoreHolds(store, 'referral-1', 3);
    expect(store.reads()).toBe(1);
  });

  it('says UNAVAILABLE, for the subscription to retry, when the event does not show in time', async () => {
    const refused = await untilStoreHolds(lagging([1]), 'referral-1', 2, 250).catch(
      (error: unknown) => error,
    );
    expect(AmanError.is(refused, 'AMAN_ERR_UNAVAILABLE')).toBe(true);
  });
});

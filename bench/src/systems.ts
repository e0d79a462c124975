import type { ConcurrentOptions, Sample } from './measure.ts';
import { warmUp, type StoreUnderTest } from './workload.ts';

/** A store opened on a fresh database for one measurement. */
export interface OpenedStore {
  readonly store: StoreUnderTest;
  /**
   * Durability settings of this very store, read back from it where the store allows; asked after
   * the warm-up, once the store has set up its database.
   */
  durability(): Promise<string>;
  /** Closes the store and drops its database. */
  dispose(): Promise<void>;
}

/** An event store the bench compares: Aman's or Emmett's, on one backend. */
export interface SystemUnderTest {
  readonly name: string;
  open(): Promise<OpenedStore>;
  /**
   * Replaces the in-process concurrent-writers measurement, for a store that cannot be trusted to
   * settle or to stay alive under it.
   */
  readonly concurrentAppends?: (options: Omit<ConcurrentOptions, 'writers'>) => Promise<Measured>;
}

export interface Measured {
  readonly sample: Sample;
  readonly durability: string;
}

/** Opens a fresh store, warms it up, measures `scenario` on it and drops it. */
export async function onFreshStore(
  system: SystemUnderTest,
  scenario: (store: StoreUnderTest) => Promise<Sample | undefined>,
): Promise<Measured | undefined> {
  const opened = await system.open();
  try {
    await warmUp(opened.store);
    const durability = await opened.durability();
    const sample = await scenario(opened.store);
    return sample === undefined ? undefined : { sample, durability };
  } finally {
    await opened.dispose();
  }
}

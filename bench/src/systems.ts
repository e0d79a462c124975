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
  /**
   * Durable commits the store has made so far, for a store that groups appends into commits and
   * lets the bench count them.
   */
  readonly commits?: () => number;
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

/**
 * Opens a fresh store, warms it up, measures `scenario` on it and drops it. With `countCommits`,
 * the sample says how many commits the store made during the scenario, when the store counts
 * them: only for scenarios that append and nothing else, so every commit holds measured units.
 */
export async function onFreshStore(
  system: SystemUnderTest,
  scenario: (store: StoreUnderTest) => Promise<Sample | undefined>,
  options: { readonly countCommits?: boolean } = {},
): Promise<Measured | undefined> {
  const opened = await system.open();
  try {
    await warmUp(opened.store);
    const durability = await opened.durability();
    const before = options.countCommits === true ? opened.commits?.() : undefined;
    const sample = await scenario(opened.store);
    if (sample === undefined) return undefined;
    const commits = before === undefined ? undefined : (opened.commits?.() ?? before) - before;
    return { sample: commits === undefined ? sample : { ...sample, commits }, durability };
  } finally {
    await opened.dispose();
  }
}

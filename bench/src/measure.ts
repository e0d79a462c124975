import { performance } from 'node:perf_hooks';

/** What one timed measurement did: `units` (appends, reads, events or rows) in `seconds`. */
export interface Sample {
  readonly units: number;
  readonly seconds: number;
  /** Operations that failed or never settled; they are counted, not thrown, and not in `units`. */
  readonly failures: number;
  readonly firstError?: string;
  /**
   * Durable commits the units went into, where the measurement counts them: with group commit
   * many appends share one, and a ceiling must commit as many rows at a time to compare.
   */
  readonly commits?: number;
}

/** Units per durable commit, when the sample counted its commits. */
export function unitsPerCommit(sample: Sample): number | undefined {
  return sample.commits === undefined || sample.commits === 0
    ? undefined
    : sample.units / sample.commits;
}

export function perSecond(sample: Sample): number {
  return sample.seconds > 0 ? sample.units / sample.seconds : 0;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `operation` back to back until `durationMs` has passed. Time-boxing instead of a fixed count
 * keeps a fast system's figure from resting on a few milliseconds and a slow one's from taking
 * minutes. A failed operation is counted and the next one runs: a store that fails now and then
 * still gets a figure (its successful operations per second), with the failures beside it.
 * `operation` gets the number of operations that succeeded so far.
 */
export async function timeBoxed(
  durationMs: number,
  operation: (succeeded: number) => Promise<void>,
  unitsPerOperation = 1,
): Promise<Sample> {
  const started = performance.now();
  const deadline = started + durationMs;
  let succeeded = 0;
  let failures = 0;
  let firstError: string | undefined;
  while (performance.now() < deadline) {
    try {
      await operation(succeeded);
      succeeded += 1;
    } catch (error) {
      failures += 1;
      firstError ??= describeError(error);
    }
  }
  const sample = {
    units: succeeded * unitsPerOperation,
    seconds: (performance.now() - started) / 1000,
    failures,
  };
  return firstError === undefined ? sample : { ...sample, firstError };
}

/** Times one fixed piece of work that reports how many units it did. */
export async function timedOnce(work: () => Promise<number>): Promise<Sample> {
  const started = performance.now();
  const units = await work();
  return { units, seconds: (performance.now() - started) / 1000, failures: 0 };
}

export interface ConcurrentOptions {
  readonly writers: number;
  readonly durationMs: number;
  /**
   * How long to wait, after the deadline, for operations still in flight; those that have not
   * settled by then count as failures. Unbounded when absent.
   */
  readonly settleMs?: number;
}

/**
 * `writers` loops issue `operation` concurrently until the deadline. Failures are counted as in
 * timeBoxed; `index` counts each writer's successful operations.
 */
export async function concurrentTimeBoxed(
  options: ConcurrentOptions,
  operation: (writer: number, index: number) => Promise<void>,
): Promise<Sample> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let succeeded = 0;
  let failures = 0;
  let inFlight = 0;
  let firstError: string | undefined;

  const writer = async (id: number): Promise<void> => {
    let index = 0;
    while (performance.now() < deadline) {
      inFlight += 1;
      try {
        await operation(id, index);
        succeeded += 1;
        index += 1;
      } catch (error) {
        failures += 1;
        firstError ??= describeError(error);
      } finally {
        inFlight -= 1;
      }
    }
  };
  const all = Promise.all(Array.from({ length: options.writers }, (_, id) => writer(id)));

  const settleMs = options.settleMs;
  if (settleMs === undefined) {
    await all;
  } else {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.durationMs + settleMs);
    });
    await Promise.race([all, cap]);
    clearTimeout(timer);
    if (inFlight > 0) {
      failures += inFlight;
      firstError ??= `${inFlight} appends had not settled ${settleMs} ms after the deadline`;
    }
  }
  const sample = { units: succeeded, seconds: (performance.now() - started) / 1000, failures };
  return firstError === undefined ? sample : { ...sample, firstError };
}

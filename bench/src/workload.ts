import { randomBytes } from 'node:crypto';

import type { JsonObject } from '@aman/eventstore';

import {
  concurrentTimeBoxed,
  describeError,
  timeBoxed,
  timedOnce,
  type ConcurrentOptions,
  type Sample,
} from './measure.ts';

/** The event every system appends: the same type, data and metadata bytes for all of them. */
export interface BenchEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: JsonObject;
  readonly metadata: {
    readonly actor: { readonly organisationId: string; readonly principalId: string };
    readonly correlationId: string;
  };
}

// Personal fields are ciphertext by the time they reach a store (DESIGN.md §5), so the payload
// carries an opaque base64 blob of the size a short encrypted note has.
const SEALED_NOTE = randomBytes(192).toString('base64');

export const BENCH_EVENT: BenchEvent = {
  type: 'risk.assessment-recorded',
  schemaVersion: 1,
  data: {
    caseId: 'case-0193e1c2-7a4b-7c01-9d2e-5f1a2b3c4d5e',
    level: 'high',
    factors: ['threats-received', 'surveillance', 'prior-detention'],
    reviewDueInDays: 7,
    sealedNote: SEALED_NOTE,
  },
  metadata: {
    actor: { organisationId: 'org-bench-ngo', principalId: 'principal-bench-caseworker' },
    correlationId: 'correlation-bench-0001',
  },
};

export function eventsOf(count: number): BenchEvent[] {
  return Array.from({ length: count }, () => BENCH_EVENT);
}

/** One page of the global log. */
export interface LogPage {
  readonly count: number;
  /** Global position of the page's last event (the `after` of the next page). */
  readonly lastPosition: number;
}

/** The operations the bench drives, the same for every store. */
export interface StoreUnderTest {
  /** Appends to `stream`, which must be at `expectedVersion` (0: the stream does not exist yet). */
  append(stream: string, events: readonly BenchEvent[], expectedVersion: number): Promise<void>;
  /** Reads a whole stream; resolves to the number of events read. */
  readStream(stream: string): Promise<number>;
  /** Reads the global log after `after`; absent when the store keeps no global order. */
  readonly readAll?: (after: number, limit: number) => Promise<LogPage>;
}

/** Streams hold this many events, about what a case or referral gathers. */
export const STREAM_LENGTH = 20;
export const CONCURRENT_WRITERS = 50;
export const READ_PAGE = 1000;

/**
 * Creates the schema, collections and indexes and warms the code paths, untimed, before a
 * measurement. It uses the measurements' stream categories (`case`, `writer`: Emmett's MongoDB
 * store keeps one collection per category) but streams that no measurement touches.
 */
export async function warmUp(store: StoreUnderTest): Promise<void> {
  await store.append('case-warmup', [BENCH_EVENT], 0);
  await store.append('case-warmup', [BENCH_EVENT], 1);
  await store.append('writer-warmup', [BENCH_EVENT], 0);
  await store.readStream('case-warmup');
}

/**
 * Sequential appends of `eventsPerAppend` events, filling streams of STREAM_LENGTH one by one. The
 * position in the streams advances only with successful appends, so a failed append is tried again
 * at the same expected version rather than setting off a run of conflicts.
 */
export function sequentialAppends(
  store: StoreUnderTest,
  durationMs: number,
  eventsPerAppend: number,
): Promise<Sample> {
  const appendsPerStream = STREAM_LENGTH / eventsPerAppend;
  const events = eventsOf(eventsPerAppend);
  return timeBoxed(durationMs, (succeeded) =>
    store.append(
      `case-${Math.floor(succeeded / appendsPerStream)}`,
      events,
      (succeeded % appendsPerStream) * eventsPerAppend,
    ),
  );
}

/** Failures of the untimed appends that set up a measurement. */
interface SetupFailures {
  failures: number;
  firstError?: string;
}

const SETUP_ATTEMPTS = 3;

/**
 * An untimed append that fills a store before a measurement. It is tried up to SETUP_ATTEMPTS
 * times, so a store that fails now and then (Emmett SQLite does, see README) still gets its log;
 * the failures are reported beside the figure.
 */
async function setUpAppend(
  store: StoreUnderTest,
  setup: SetupFailures,
  stream: string,
  events: readonly BenchEvent[],
  expectedVersion: number,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await store.append(stream, events, expectedVersion);
      return;
    } catch (error) {
      setup.failures += 1;
      setup.firstError ??= `setting up: ${describeError(error)}`;
      if (attempt === SETUP_ATTEMPTS) throw error;
    }
  }
}

function withSetupFailures(sample: Sample, setup: SetupFailures): Sample {
  const firstError = sample.firstError ?? setup.firstError;
  const merged = { ...sample, failures: sample.failures + setup.failures };
  return firstError === undefined ? merged : { ...merged, firstError };
}

/** Reads of whole STREAM_LENGTH-event streams, round robin over `streams` streams. */
export async function streamReads(
  store: StoreUnderTest,
  durationMs: number,
  streams: number,
): Promise<Sample> {
  const setup: SetupFailures = { failures: 0 };
  // Each stream grows one event per append, as a case does.
  for (let stream = 0; stream < streams; stream += 1) {
    for (let version = 0; version < STREAM_LENGTH; version += 1) {
      await setUpAppend(store, setup, `case-${stream}`, [BENCH_EVENT], version);
    }
  }
  const sample = await timeBoxed(durationMs, async (index) => {
    const read = await store.readStream(`case-${index % streams}`);
    if (read !== STREAM_LENGTH) {
      throw new Error(`read ${read} events from a stream of ${STREAM_LENGTH}`);
    }
  });
  return withSetupFailures(sample, setup);
}

/** Events per stream in the log the full-log scan reads. */
export const SCAN_STREAM_LENGTH = 100;

/**
 * Pages through the whole global log from position 0, READ_PAGE events at a time, after filling it
 * (untimed) with `events` events in appends of `eventsPerAppend`, streams of SCAN_STREAM_LENGTH.
 */
export async function fullLogScan(
  store: StoreUnderTest,
  events: number,
  eventsPerAppend: number,
): Promise<Sample | undefined> {
  const readAll = store.readAll;
  if (readAll === undefined) return undefined;
  const batch = eventsOf(eventsPerAppend);
  const setup: SetupFailures = { failures: 0 };
  for (let appended = 0; appended < events; appended += eventsPerAppend) {
    const stream = `case-${Math.floor(appended / SCAN_STREAM_LENGTH)}`;
    await setUpAppend(store, setup, stream, batch, appended % SCAN_STREAM_LENGTH);
  }
  const sample = await timedOnce(async () => {
    let after = 0;
    let read = 0;
    for (;;) {
      const page = await readAll(after, READ_PAGE);
      if (page.count === 0) break;
      read += page.count;
      after = page.lastPosition;
    }
    // The warm-up's events are in the log as well.
    if (read < events) throw new Error(`the scan read ${read} of at least ${events} events`);
    return read;
  });
  return withSetupFailures(sample, setup);
}

/** CONCURRENT_WRITERS writers, each appending single events to its own streams. */
export function concurrentAppends(
  store: StoreUnderTest,
  options: Omit<ConcurrentOptions, 'writers'>,
): Promise<Sample> {
  return concurrentTimeBoxed({ ...options, writers: CONCURRENT_WRITERS }, (writer, index) =>
    store.append(
      `writer-${writer}-${Math.floor(index / STREAM_LENGTH)}`,
      [BENCH_EVENT],
      index % STREAM_LENGTH,
    ),
  );
}

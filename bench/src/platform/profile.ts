/**
 * The platform bench's sizes, by profile (`BENCH_PROFILE`): `quick` (the default) keeps the whole
 * of `pnpm bench` within ten minutes on the project's 2-core machines; `full` runs the long
 * figures the issue asks for (a minute per arrival rate, ten minutes of sustained load, a
 * million-event rebuild).
 */
export type ProfileName = 'quick' | 'full';

export interface PlatformProfile {
  readonly name: ProfileName;
  /** Repetitions of every platform figure (min / median / max over them). */
  readonly runs: number;
  /** One closed-loop throughput measurement (gateway and bare route alike). */
  readonly throughputSeconds: number;
  /** Connections the load generator keeps busy during a throughput measurement. */
  readonly throughputConnections: number;
  /** Fixed arrival rates of the end-to-end latency figure, submissions per second. */
  readonly arrivalRates: readonly number[];
  /**
   * The distributed mode's rates: on this machine's FerretDB it drains about one case a second,
   * so both profiles measure it at the lowest rate only (higher ones only grow a backlog).
   */
  readonly distributedArrivalRates: readonly number[];
  /** How long each arrival rate runs. */
  readonly latencySeconds: number;
  /** Sustained load of the memory figure: its rate and length, and the idle time after it. */
  readonly memoryRate: number;
  readonly memorySeconds: number;
  readonly memoryIdleSeconds: number;
  /** Events the relay publishes in one measurement. */
  readonly relayEvents: number;
  /** The projection rebuild's log sizes: the headline one, then the scaling series. */
  readonly rebuildEvents: number;
  readonly scalingEvents: readonly number[];
  /** One run of the intake-latency scaling figure, per log size. */
  readonly scalingSeconds: number;
  /** How long a latency run's webhooks may take to arrive after its last submission. */
  readonly drainSeconds: number;
}

const PROFILES: Record<ProfileName, PlatformProfile> = {
  quick: {
    name: 'quick',
    runs: 3,
    throughputSeconds: 3,
    throughputConnections: 16,
    arrivalRates: [10, 50, 100],
    distributedArrivalRates: [10],
    latencySeconds: 5,
    memoryRate: 50,
    memorySeconds: 30,
    memoryIdleSeconds: 15,
    relayEvents: 500,
    rebuildEvents: 100_000,
    scalingEvents: [10_000, 100_000],
    scalingSeconds: 5,
    drainSeconds: 10,
  },
  full: {
    name: 'full',
    runs: 3,
    throughputSeconds: 20,
    throughputConnections: 16,
    arrivalRates: [10, 50, 100],
    // 50/s and 100/s for 60 s grow a backlog of thousands that this machine's FerretDB drains
    // at about a case a second (and 3 runs of each took longer than the rest of the bench).
    distributedArrivalRates: [10],
    latencySeconds: 60,
    memoryRate: 50,
    memorySeconds: 600,
    memoryIdleSeconds: 60,
    relayEvents: 5_000,
    rebuildEvents: 1_000_000,
    scalingEvents: [10_000, 100_000, 1_000_000],
    scalingSeconds: 20,
    drainSeconds: 60,
  },
};

export function readProfile(): PlatformProfile {
  const raw = process.env['BENCH_PROFILE'] ?? 'quick';
  if (raw !== 'quick' && raw !== 'full') {
    throw new Error(`BENCH_PROFILE must be quick or full (got ${JSON.stringify(raw)})`);
  }
  return PROFILES[raw];
}

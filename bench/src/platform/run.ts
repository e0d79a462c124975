// The platform figures of `pnpm bench`: the six services as child processes under load, the relay
// and the projection rebuild, each beside the baseline it is compared with, in the same run.
import { cpus } from 'node:os';

import { MongoClient } from 'mongodb';

import { perSecond, type Sample } from '../measure.ts';
import { caseLog, rawSqliteReadModelRows, sqliteRebuild } from '../projectionRebuild.ts';
import { summarise, type Summary } from '../stats.ts';
import { openLoop, percentile, type ArrivalRun } from './arrivals.ts';
import type { PlatformProfile } from './profile.ts';
import { prefillIntakeLog } from './prefill.ts';
import { relayRun } from './relay.ts';
import { RunningPlatform, type Mode, type ServiceName } from './services.ts';
import { submitCase } from './submissions.ts';
import { startBareRoute, submissionsPerSecond } from './throughput.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver.ts';

/** One line of the platform table: a figure's runs, and its ratio to a baseline line. */
export interface PlatformRow {
  readonly figure: string;
  readonly system: string;
  readonly unit: string;
  readonly values: readonly number[];
  readonly summary?: Summary;
  /** Median over the baseline's median, and the run-by-run range. */
  readonly ratio?: { readonly value: number; readonly perRun?: Summary; readonly of: string };
  readonly target?: { readonly statement: string; readonly met: boolean };
  readonly note?: string;
}

export interface PlatformResults {
  readonly rows: PlatformRow[];
  readonly memory: MemoryFigure[];
  readonly latencyRuns: ArrivalRun[];
}

export interface MemoryFigure {
  readonly service: ServiceName;
  readonly startMiB: number;
  /** After the first half of the sustained load. */
  readonly halfwayMiB: number;
  readonly loadedMiB: number;
  readonly afterMiB: number;
}

const RECEIVER_PORT = 24_600;
const BARE_ROUTE_PORT = 28_070;

function progress(message: string): void {
  process.stderr.write(`bench: platform | ${message}\n`);
}

function row(
  figure: string,
  system: string,
  unit: string,
  values: readonly number[],
  extra: Partial<PlatformRow> = {},
): PlatformRow {
  const summary = summarise(values);
  return { figure, system, unit, values, ...(summary === undefined ? {} : { summary }), ...extra };
}

/** A row compared with its baseline row (median over median; run i against run i). */
function versus(
  measured: PlatformRow,
  baseline: PlatformRow,
  target?: { readonly atLeast?: number; readonly atMost?: number; readonly statement: string },
): PlatformRow {
  const value = (measured.summary?.median ?? Number.NaN) / (baseline.summary?.median ?? Number.NaN);
  const perRun = summarise(
    measured.values.map((item, index) => item / (baseline.values[index] ?? Number.NaN)),
  );
  const met =
    target === undefined
      ? undefined
      : target.atLeast !== undefined
        ? value >= target.atLeast
        : value <= (target.atMost ?? Number.POSITIVE_INFINITY);
  return {
    ...measured,
    ratio: { value, of: baseline.system, ...(perRun === undefined ? {} : { perRun }) },
    ...(target === undefined || met === undefined
      ? {}
      : { target: { statement: target.statement, met } }),
  };
}

function failuresNote(samples: readonly Sample[]): string | undefined {
  const failures = samples.reduce((sum, sample) => sum + sample.failures, 0);
  if (failures === 0) return undefined;
  return `${failures} failed (${samples.find((sample) => sample.firstError)?.firstError ?? ''})`;
}

async function withPlatform<T>(
  mode: Mode,
  receiver: WebhookReceiver,
  options: {
    readonly kafkaBrokers: string;
    readonly mongodbUri: string;
    readonly prepare?: (dataDir: string) => Promise<void>;
  },
  work: (platform: RunningPlatform, ngoKey: string) => Promise<T>,
): Promise<T> {
  progress(`starting the six services (${mode})`);
  const { platform, organisations } = await RunningPlatform.start({
    mode,
    portOffset: mode === 'embedded' ? 0 : 1,
    webhookUrl: receiver.url,
    ...options,
  });
  receiver.useSecret(organisations.webhookSecret);
  try {
    return await work(platform, organisations.ngoKey);
  } finally {
    await platform.stop();
  }
}

function settleNote(settle: { readonly seconds: number; readonly settled: boolean }): string {
  return settle.settled
    ? `settled in ${settle.seconds.toFixed(0)} s`
    : `still busy after ${settle.seconds.toFixed(0)} s (measured anyway)`;
}

/** Intake throughput, gateway against the bare route, interleaved run by run. */
async function intakeThroughput(
  profile: PlatformProfile,
  platform: RunningPlatform,
  ngoKey: string,
): Promise<PlatformRow[]> {
  const bare = await startBareRoute(BARE_ROUTE_PORT);
  const gatewaySamples: Sample[] = [];
  const bareSamples: Sample[] = [];
  try {
    for (let run = 1; run <= profile.runs; run += 1) {
      const load = {
        connections: profile.throughputConnections,
        seconds: profile.throughputSeconds,
      };
      bareSamples.push(await submissionsPerSecond({ url: bare.url, ngoKey, ...load }));
      gatewaySamples.push(await submissionsPerSecond({ url: platform.api, ngoKey, ...load }));
      progress(
        `intake throughput run ${run}/${profile.runs}: gateway ${perSecond(gatewaySamples.at(-1) ?? { units: 0, seconds: 1, failures: 0 }).toFixed(0)}/s, bare ${perSecond(bareSamples.at(-1) ?? { units: 0, seconds: 1, failures: 0 }).toFixed(0)}/s`,
      );
    }
  } finally {
    await bare.stop();
  }
  const figure = `intake throughput (${profile.throughputConnections} connections)`;
  const baseline = row(figure, 'bare fastify route', 'requests/s', bareSamples.map(perSecond));
  const note = failuresNote(gatewaySamples);
  const gateway = row(
    figure,
    'gateway → intake (encrypt, triage gRPC, durable append)',
    'cases/s',
    gatewaySamples.map(perSecond),
    note === undefined ? {} : { note },
  );
  return [
    versus(gateway, baseline, { atLeast: 0.1, statement: '≥ 10 % of the bare route' }),
    baseline,
  ];
}

/** p50/p95/p99 of submission → webhook at each arrival rate, `runs` times each. */
async function endToEndLatency(
  profile: PlatformProfile,
  platform: RunningPlatform,
  ngoKey: string,
  receiver: WebhookReceiver,
  runs: ArrivalRun[],
): Promise<PlatformRow[]> {
  const rows: PlatformRow[] = [];
  const rates =
    platform.mode === 'distributed' ? profile.distributedArrivalRates : profile.arrivalRates;
  for (const rate of rates) {
    const measured: ArrivalRun[] = [];
    for (let run = 1; run <= profile.runs; run += 1) {
      // The run before (a throughput run, this rate above what the platform sustains) leaves a
      // backlog in the consumers: a run started on it would time the backlog's draining too.
      progress(`${platform.mode}: ${settleNote(await platform.settle())} before ${rate}/s`);
      const result = await openLoop({
        api: platform.api,
        ngoKey,
        receiver,
        rate,
        seconds: profile.latencySeconds,
        drainSeconds: profile.drainSeconds,
      });
      measured.push(result);
      runs.push(result);
      progress(
        `${platform.mode} latency ${rate}/s run ${run}/${profile.runs}: p50 ${percentile(result.endToEndMs, 0.5).toFixed(0)} ms, p99 ${percentile(result.endToEndMs, 0.99).toFixed(0)} ms, 201 p50 ${percentile(result.acceptedMs, 0.5).toFixed(0)} ms, ${result.undelivered} undelivered`,
      );
    }
    const problems = measured.reduce((sum, run) => sum + run.refused + run.undelivered, 0);
    const note = problems === 0 ? {} : { note: `${problems} refused or undelivered` };
    const figure = `end-to-end, ${platform.mode}, ${rate}/s`;
    for (const [name, fraction] of [
      ['p50', 0.5],
      ['p95', 0.95],
      ['p99', 0.99],
    ] as const) {
      const values = measured.map((run) => percentile(run.endToEndMs, fraction));
      const line = row(figure, `submission → signed webhook ${name}`, 'ms', values, note);
      rows.push(
        name === 'p99' && rate === 100 && platform.mode === 'embedded'
          ? {
              ...line,
              target: {
                statement: 'p99 ≤ 1 s at 100/s embedded',
                met: (line.summary?.median ?? Number.POSITIVE_INFINITY) <= 1000,
              },
            }
          : line,
      );
    }
    rows.push(
      row(
        figure,
        'submission → 201 p99 (the gateway alone)',
        'ms',
        measured.map((run) => percentile(run.acceptedMs, 0.99)),
      ),
    );
  }
  return rows;
}

/** RSS of every service at start, after sustained load, and after the load stopped. */
async function memory(
  profile: PlatformProfile,
  platform: RunningPlatform,
  start: Record<ServiceName, number>,
  ngoKey: string,
  receiver: WebhookReceiver,
): Promise<MemoryFigure[]> {
  progress(`memory: ${settleNote(await platform.settle())} first`);
  progress(`memory: ${profile.memoryRate}/s for ${profile.memorySeconds} s`);
  // The load in two equal halves: a leak keeps growing through the second as through the first,
  // where a warm heap has stopped growing (V8 seldom hands pages back, so RSS alone need not fall).
  const half = (): Promise<ArrivalRun> =>
    openLoop({
      api: platform.api,
      ngoKey,
      receiver,
      rate: profile.memoryRate,
      seconds: profile.memorySeconds / 2,
      drainSeconds: profile.drainSeconds,
    });
  await half();
  const halfway = platform.residentMemory();
  await half();
  const loaded = platform.residentMemory();
  await new Promise((idle) => setTimeout(idle, profile.memoryIdleSeconds * 1000));
  const after = platform.residentMemory();
  return (Object.keys(start) as ServiceName[]).map((service) => ({
    service,
    startMiB: start[service],
    halfwayMiB: halfway[service],
    loadedMiB: loaded[service],
    afterMiB: after[service],
  }));
}

async function relayFigures(
  profile: PlatformProfile,
  mongodbUri: string,
  brokers: readonly string[],
): Promise<PlatformRow[]> {
  const client = new MongoClient(mongodbUri, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  const relay: Sample[] = [];
  const raw: Sample[] = [];
  try {
    for (let run = 1; run <= profile.runs; run += 1) {
      const pair = await relayRun(client, brokers, profile.relayEvents);
      relay.push(pair.relay);
      raw.push(pair.raw);
      progress(
        `relay run ${run}/${profile.runs}: relay ${perSecond(pair.relay).toFixed(0)}/s, raw ${perSecond(pair.raw).toFixed(0)}/s`,
      );
    }
  } finally {
    await client.close();
  }
  const figure = `relay to Kafka, ${profile.relayEvents.toLocaleString('en-US')} events`;
  const baseline = row(
    figure,
    'raw kafkajs producer (same records, acks all)',
    'records/s',
    raw.map(perSecond),
  );
  const measured = row(
    figure,
    'OutboxRelay: MongoEventStore (FerretDB) → KafkaBus',
    'events/s',
    relay.map(perSecond),
  );
  return [
    versus(measured, baseline, { atLeast: 0.5, statement: '≥ 50 % of raw kafkajs' }),
    baseline,
  ];
}

/**
 * How a figure grows with the log: the exponent k in figure ∝ size^k between the smallest size
 * and this one (1: linear; 0: flat; below 1: better than linear).
 */
function growthNote(size: number, smallest: number, value: number, smallestValue: number): string {
  if (size === smallest) return 'the smallest log: the others are compared with it';
  const exponent = Math.log(value / smallestValue) / Math.log(size / smallest);
  const verdict =
    exponent <= 0.2
      ? 'flat'
      : exponent < 0.9
        ? 'better than linear'
        : exponent <= 1.1
          ? 'linear'
          : 'worse than linear';
  return `×${(size / smallest).toLocaleString('en-US')} events → ×${(value / smallestValue).toFixed(2)}: size^${exponent.toFixed(2)}, ${verdict}`;
}

/** Submission → 201 over one connection, one after another, for `seconds`. */
async function sequentialLatencies(
  api: string,
  ngoKey: string,
  seconds: number,
): Promise<{ readonly ms: number[]; readonly refused: number }> {
  const ms: number[] = [];
  let refused = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    if ((await submitCase(api, ngoKey)) === undefined) refused += 1;
    else ms.push(performance.now() - started);
  }
  return { ms, refused };
}

/**
 * Intake's latency with 10k, 100k (full: 1M) events already in its log: a platform per size,
 * started on a pre-filled store and left to settle, then submissions one after another.
 */
async function intakeScaling(
  profile: PlatformProfile,
  receiver: WebhookReceiver,
  options: { readonly kafkaBrokers: string; readonly mongodbUri: string },
): Promise<PlatformRow[]> {
  const measured: { size: number; p50: number[]; p99: number[]; notes: string[] }[] = [];
  for (const size of profile.scalingEvents) {
    const prepare = async (dataDir: string): Promise<void> => {
      const started = performance.now();
      await prefillIntakeLog(dataDir, size);
      progress(
        `scaling: ${size} events stored in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    };
    await withPlatform('embedded', receiver, { ...options, prepare }, async (platform, ngoKey) => {
      const settled = settleNote(await platform.settle());
      const figure = { size, p50: [] as number[], p99: [] as number[], notes: [] as string[] };
      figure.notes.push(`${settled} after start`);
      for (let run = 1; run <= profile.runs; run += 1) {
        const { ms, refused } = await sequentialLatencies(
          platform.api,
          ngoKey,
          profile.scalingSeconds,
        );
        figure.p50.push(percentile(ms, 0.5));
        figure.p99.push(percentile(ms, 0.99));
        if (refused > 0) figure.notes.push(`${refused} refused`);
        progress(
          `scaling ${size} run ${run}/${profile.runs}: 201 p50 ${percentile(ms, 0.5).toFixed(1)} ms, p99 ${percentile(ms, 0.99).toFixed(1)} ms (${ms.length} submissions)`,
        );
      }
      measured.push(figure);
    });
  }
  const smallest = measured[0];
  if (smallest === undefined) return [];
  const rows: PlatformRow[] = [];
  for (const figure of measured) {
    const name = `intake latency, ${figure.size.toLocaleString('en-US')} stored events`;
    for (const [label, values, base] of [
      ['p50', figure.p50, smallest.p50],
      ['p99', figure.p99, smallest.p99],
    ] as const) {
      const line = row(name, `submission → 201 ${label}, one connection`, 'ms', values);
      const median = line.summary?.median ?? Number.NaN;
      const baseMedian = summarise(base)?.median ?? Number.NaN;
      rows.push({
        ...line,
        note: [growthNote(figure.size, smallest.size, median, baseMedian), ...figure.notes].join(
          '; ',
        ),
      });
    }
  }
  return rows;
}

/** SQLite projection rebuild at each log size, beside raw bulk inserts of the same rows. */
async function rebuildFigures(profile: PlatformProfile): Promise<PlatformRow[]> {
  const sizes = [...new Set([...profile.scalingEvents, profile.rebuildEvents])].sort(
    (a, b) => a - b,
  );
  const rows: PlatformRow[] = [];
  let smallest: { readonly events: number; readonly seconds: number } | undefined;
  for (const events of sizes) {
    const log = caseLog(events);
    const rebuild: Sample[] = [];
    const raw: Sample[] = [];
    for (let run = 1; run <= profile.runs; run += 1) {
      rebuild.push((await sqliteRebuild(log)).sample);
      raw.push((await rawSqliteReadModelRows(log)).sample);
      progress(
        `rebuild ${events} run ${run}/${profile.runs}: ${perSecond(rebuild.at(-1) ?? raw[0] ?? { units: 0, seconds: 1, failures: 0 }).toFixed(0)} events/s`,
      );
    }
    const seconds = summarise(rebuild.map((sample) => sample.seconds))?.median ?? Number.NaN;
    smallest ??= { events, seconds };
    const scaling = growthNote(events, smallest.events, seconds, smallest.seconds);
    const figure = `projection rebuild (SQLite), ${events.toLocaleString('en-US')} events`;
    const baseline = row(
      figure,
      'raw read-model rows, 500 per commit',
      'rows/s',
      raw.map(perSecond),
    );
    const measured = row(
      figure,
      'ProjectionRunner.ensureBuilt',
      'events/s',
      rebuild.map(perSecond),
      {
        note: `seconds: ${rebuild.map((sample) => sample.seconds.toFixed(2)).join(', ')}; rebuild time ${scaling}`,
      },
    );
    rows.push(
      events === profile.rebuildEvents
        ? versus(measured, baseline, { atLeast: 0.5, statement: '≥ 50 % of raw bulk inserts' })
        : versus(measured, baseline),
      baseline,
    );
  }
  return rows;
}

export async function measurePlatform(
  profile: PlatformProfile,
  options: { readonly kafkaBrokers: string; readonly mongodbUri: string },
): Promise<PlatformResults> {
  const receiver = await startWebhookReceiver(RECEIVER_PORT);
  const latencyRuns: ArrivalRun[] = [];
  const rows: PlatformRow[] = [];
  let memoryFigures: MemoryFigure[] = [];
  try {
    await withPlatform('embedded', receiver, options, async (platform, ngoKey) => {
      const start = platform.residentMemory();
      rows.push(...(await intakeThroughput(profile, platform, ngoKey)));
      rows.push(...(await endToEndLatency(profile, platform, ngoKey, receiver, latencyRuns)));
      memoryFigures = await memory(profile, platform, start, ngoKey, receiver);
    });
    await withPlatform('distributed', receiver, options, async (platform, ngoKey) => {
      rows.push(...(await endToEndLatency(profile, platform, ngoKey, receiver, latencyRuns)));
    });
    rows.push(
      ...(await relayFigures(profile, options.mongodbUri, options.kafkaBrokers.split(','))),
    );
    rows.push(...(await rebuildFigures(profile)));
    rows.push(...(await intakeScaling(profile, receiver, options)));
  } finally {
    await receiver.close();
  }
  if (receiver.refused() > 0) throw new Error(`${receiver.refused()} webhooks failed verification`);
  return { rows, memory: memoryFigures, latencyRuns };
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`;
}

// `pnpm bench`: Aman's event stores against Emmett's and against the raw drivers, then the platform
// (the six services under load, the relay, the projection rebuild) against its baselines, side by
// side in one run, each figure repeated; prints the tables and writes bench/results/<timestamp>.json.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

import { MongoClient } from 'mongodb';

import { amanMongo, amanSqlite } from './aman.ts';
import { readConfig, type BenchConfig } from './config.ts';
import { readProfile, type PlatformProfile } from './platform/profile.ts';
import { renderPlatformReport } from './platform/report.ts';
import { measurePlatform, type PlatformResults } from './platform/run.ts';
import { describeMongoServer, timestamp, writeResultFile } from './environment.ts';
import { describeError, perSecond, unitsPerCommit, type Sample } from './measure.ts';
import { EmmettMongoConnection, emmettMongo } from './mongodb/emmett.ts';
import { rawInsertMany, rawInsertOne } from './mongodb/raw.ts';
import {
  caseLog,
  mongoRebuild,
  RAW_ROWS_PER_COMMIT,
  rawMongoReadModelRows,
  rawSqliteReadModelRows,
  sqliteRebuild,
  type CaseLog,
} from './projectionRebuild.ts';
import { computeRatio, evaluateTarget, renderReport } from './report.ts';
import type { Backend, Figure, Ratio, RatioSpec, Row } from './results.ts';
import { emmettSqlite } from './sqlite/emmett.ts';
import { rawBatchedCommits, rawSingleRowCommits, rawStoredRowCommits } from './sqlite/raw.ts';
import { summarise } from './stats.ts';
import { onFreshStore, type Measured, type SystemUnderTest } from './systems.ts';
import {
  CONCURRENT_WRITERS,
  concurrentAppends,
  fullLogScan,
  sequentialAppends,
  streamReads,
  type StoreUnderTest,
} from './workload.ts';

const SQLITE: Backend = 'SQLite';
const MONGODB: Backend = 'MongoDB wire (FerretDB)';

const FIGURES = {
  single: { id: 'append-1', title: 'sequential appends, 1 event', unit: 'appends/s' },
  batch: { id: 'append-10', title: 'sequential appends, 10 events', unit: 'appends/s' },
  read: { id: 'read-stream', title: 'stream reads, 20 events', unit: 'reads/s' },
  scan: { id: 'scan-all', title: 'full-log scan from 0', unit: 'events/s' },
  concurrent: {
    id: 'append-concurrent',
    title: `${CONCURRENT_WRITERS} concurrent writers, 1 event`,
    unit: 'appends/s',
  },
  rawSingle: { id: 'raw-1', title: 'raw: 1 row per commit', unit: 'commits/s' },
  rawBatch: { id: 'raw-100', title: 'raw: 100 rows per commit', unit: 'rows/s' },
  rawStoredRows: {
    id: 'raw-stored-rows',
    title: "raw: Aman's rows, Aman's commit size",
    unit: 'rows/s',
  },
  rawInsertOne: { id: 'raw-1', title: 'raw: insertOne', unit: 'inserts/s' },
  rawInsertMany: { id: 'raw-100', title: 'raw: insertMany(100)', unit: 'docs/s' },
  rawReadModelRows: {
    id: 'raw-read-model',
    title: `raw: read-model rows, ${RAW_ROWS_PER_COMMIT} per commit`,
    unit: 'rows/s',
  },
  rawReadModelInsertMany: {
    id: 'raw-read-model',
    title: `raw: read-model insertMany(${RAW_ROWS_PER_COMMIT})`,
    unit: 'docs/s',
  },
} as const satisfies Record<string, Figure>;

const REBUILD_ID = 'projection-rebuild';

function rebuildFigure(events: number): Figure {
  return {
    id: REBUILD_ID,
    title: `projection rebuild, ${events.toLocaleString('en-US')} events`,
    unit: 'events/s',
  };
}

const RAW_SQLITE = 'raw better-sqlite3';
const RAW_MONGODB = 'raw mongodb driver';
const AMAN_RUNNER = 'Aman ProjectionRunner';
const ROWS_PER_COMMIT = 100;

/** Workload sizes: FerretDB scans whole collections for non-_id queries, so its logs stay small. */
const SIZES = {
  [SQLITE]: { readStreams: 20, scanEvents: 20_000, scanEventsPerAppend: 100 },
  [MONGODB]: { readStreams: 5, scanEvents: 2_000, scanEventsPerAppend: 10 },
} as const;

/** How long Emmett's concurrent writers may take to settle after the deadline. */
const SETTLE_MS = 3_000;

/** What the jobs before one measured in the same round of a figure, by system. */
type Round = ReadonlyMap<string, Measured>;

interface Job {
  readonly system: string;
  /** A raw ceiling measured in the same rounds as the figure it bounds has its own figure. */
  readonly figure?: Figure;
  /** A ceiling shaped by the figure it bounds reads that figure's run from `round`. */
  measure(round: Round): Promise<Measured | undefined>;
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

/**
 * Measures one figure for every job, `runs` times, interleaving the systems (and the raw ceiling
 * the figure is compared with) within each run so that a noisy neighbour slows all of them alike.
 */
async function measureFigure(
  backend: Backend,
  figure: Figure,
  jobs: readonly Job[],
  runs: number,
): Promise<Row[]> {
  interface JobResult {
    readonly samples: Sample[];
    durability: string;
    error?: string;
    notApplicable: boolean;
  }
  const results = jobs.map((): JobResult => ({
    samples: [],
    durability: '',
    notApplicable: false,
  }));
  for (let run = 1; run <= runs; run += 1) {
    const round = new Map<string, Measured>();
    for (const [index, job] of jobs.entries()) {
      const result = results[index];
      if (result === undefined || result.error !== undefined || result.notApplicable) continue;
      const started = performance.now();
      try {
        const measured = await job.measure(round);
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        progress(
          `${backend} | ${(job.figure ?? figure).title} | ${job.system} | run ${run}/${runs} | ${seconds} s`,
        );
        if (measured === undefined) {
          result.notApplicable = true;
        } else {
          result.samples.push(measured.sample);
          result.durability = measured.durability;
          round.set(job.system, measured);
        }
      } catch (error) {
        result.error = shorten(describeError(error));
        progress(`  failed: ${result.error}`);
      }
    }
  }
  return jobs.map((job, index): Row => {
    const result: JobResult = results[index] ?? {
      samples: [],
      durability: '',
      notApplicable: false,
    };
    const rates = result.samples.map(perSecond);
    const failures = result.samples.reduce((sum, sample) => sum + sample.failures, 0);
    const firstError = result.samples.find((sample) => sample.firstError !== undefined)?.firstError;
    const base = {
      backend,
      figure: job.figure ?? figure,
      system: job.system,
      durability: result.durability,
      rates,
    };
    if (result.notApplicable) {
      return {
        ...base,
        status: 'not applicable',
        samples: [],
        failures: 0,
        note: 'the store keeps no global log to scan',
      };
    }
    if (result.error !== undefined) {
      return { ...base, status: 'failed', samples: result.samples, failures, note: result.error };
    }
    const summary = summarise(rates);
    return {
      ...base,
      status: 'measured',
      samples: result.samples,
      failures,
      ...(summary === undefined ? {} : { summary }),
      ...(firstError === undefined ? {} : { note: shorten(firstError) }),
    };
  });
}

function storeJobs(
  systems: readonly SystemUnderTest[],
  scenario: (store: StoreUnderTest) => Promise<Sample | undefined>,
): Job[] {
  return systems.map((system) => ({
    system: system.name,
    measure: () => onFreshStore(system, scenario),
  }));
}

function concurrentJobs(systems: readonly SystemUnderTest[], durationMs: number): Job[] {
  return systems.map((system) => ({
    system: system.name,
    measure: () =>
      system.concurrentAppends?.({ durationMs, settleMs: SETTLE_MS }) ??
      onFreshStore(system, (store) => concurrentAppends(store, { durationMs }), {
        countCommits: true,
      }),
  }));
}

/**
 * The five event-store figures for `systems` on one backend, with the raw ceilings measured in
 * the same rounds as the figures they bound: single commits beside sequential single appends,
 * batched commits beside concurrent writers (after them, so that a ceiling can take the size of
 * its commits from the round's measurement).
 */
async function measureStores(
  backend: Backend,
  systems: readonly SystemUnderTest[],
  ceilings: { readonly single: Job; readonly batched: readonly Job[] },
  durationMs: number,
  runs: number,
): Promise<Row[]> {
  const sizes = SIZES[backend];
  const rows = [
    ...(await measureFigure(
      backend,
      FIGURES.single,
      [...storeJobs(systems, (store) => sequentialAppends(store, durationMs, 1)), ceilings.single],
      runs,
    )),
    ...(await measureFigure(
      backend,
      FIGURES.batch,
      storeJobs(systems, (store) => sequentialAppends(store, durationMs, 10)),
      runs,
    )),
    ...(await measureFigure(
      backend,
      FIGURES.read,
      storeJobs(systems, (store) => streamReads(store, durationMs, sizes.readStreams)),
      runs,
    )),
    ...(await measureFigure(
      backend,
      FIGURES.scan,
      storeJobs(systems, (store) =>
        fullLogScan(store, sizes.scanEvents, sizes.scanEventsPerAppend),
      ),
      runs,
    )),
    ...(await measureFigure(
      backend,
      FIGURES.concurrent,
      [...concurrentJobs(systems, durationMs), ...ceilings.batched],
      runs,
    )),
  ];
  // The ceilings print last, under their own figures.
  const ceilingSystems = new Set([ceilings.single, ...ceilings.batched].map((job) => job.system));
  const isCeiling = (row: Row): boolean => ceilingSystems.has(row.system);
  return [...rows.filter((row) => !isCeiling(row)), ...rows.filter(isCeiling)];
}

/**
 * How many rows a commit of Aman's SQLite store held, on average, in this round's
 * concurrent-writers run (each append is one event, so appends per commit), to whole rows.
 */
function amanCommitSize(round: Round): number {
  const measured = round.get(amanSqlite.name);
  const perCommit = measured === undefined ? undefined : unitsPerCommit(measured.sample);
  if (perCommit === undefined) {
    throw new Error(`${amanSqlite.name} counted no commits in this round to size the ceiling's`);
  }
  return Math.max(1, Math.round(perCommit));
}

async function measureSqlite(config: BenchConfig): Promise<Row[]> {
  const ms = config.sqliteMeasureMs;
  const ceilings = {
    single: {
      system: RAW_SQLITE,
      figure: FIGURES.rawSingle,
      measure: () => rawSingleRowCommits(ms),
    },
    batched: [
      {
        system: RAW_SQLITE,
        figure: FIGURES.rawStoredRows,
        measure: (round: Round) => rawStoredRowCommits(ms, amanCommitSize(round)),
      },
      {
        system: RAW_SQLITE,
        figure: FIGURES.rawBatch,
        measure: () => rawBatchedCommits(ms, ROWS_PER_COMMIT),
      },
    ],
  };
  const stores = await measureStores(SQLITE, [amanSqlite, emmettSqlite], ceilings, ms, config.runs);
  if (config.only === 'stores') return stores;
  const log = caseLog(config.rebuildSqliteEvents);
  progress(describeLog(SQLITE, log));
  const rebuild = await measureFigure(
    SQLITE,
    rebuildFigure(log.events.length),
    [
      { system: AMAN_RUNNER, measure: () => sqliteRebuild(log) },
      {
        system: RAW_SQLITE,
        figure: FIGURES.rawReadModelRows,
        measure: () => rawSqliteReadModelRows(log),
      },
    ],
    config.runs,
  );
  return [...stores, ...rebuild];
}

function describeLog(backend: Backend, log: CaseLog): string {
  return `${backend} | projection rebuild: ${log.events.length} events over ${log.cases} cases, ${log.openCases} left open`;
}

interface MongoClients {
  readonly aman: MongoClient;
  readonly emmett: EmmettMongoConnection;
  readonly server: string;
}

async function connectMongo(uri: string): Promise<MongoClients | { readonly error: string }> {
  const aman = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000 });
  try {
    await aman.connect();
    const server = await describeMongoServer(aman);
    const emmett = await EmmettMongoConnection.connect(uri);
    return { aman, emmett, server };
  } catch (error) {
    await aman.close().catch(() => undefined);
    return { error: describeError(error) };
  }
}

function skippedRows(systems: readonly string[], figures: readonly Figure[], note: string): Row[] {
  return figures.flatMap((figure) =>
    systems.map((system): Row => ({
      backend: MONGODB,
      figure,
      system,
      durability: '',
      status: 'skipped',
      rates: [],
      samples: [],
      failures: 0,
      note,
    })),
  );
}

async function measureMongo(
  config: BenchConfig,
  clients: MongoClients | { readonly error: string },
): Promise<Row[]> {
  if ('error' in clients) {
    progress(`MongoDB unreachable (${clients.error}): skipping its rows`);
    const storeFigures = [
      FIGURES.single,
      FIGURES.batch,
      FIGURES.read,
      FIGURES.scan,
      FIGURES.concurrent,
    ];
    return [
      ...skippedRows(['Aman MongoEventStore', 'Emmett MongoDB'], storeFigures, 'set MONGODB_URI'),
      ...skippedRows(
        [RAW_MONGODB],
        [FIGURES.rawInsertOne, FIGURES.rawInsertMany],
        'set MONGODB_URI',
      ),
      ...skippedRows(
        [AMAN_RUNNER],
        [rebuildFigure(config.rebuildMongodbEvents)],
        'set MONGODB_URI',
      ),
      ...skippedRows([RAW_MONGODB], [FIGURES.rawReadModelInsertMany], 'set MONGODB_URI'),
    ];
  }
  const ms = config.mongodbMeasureMs;
  const systems = [amanMongo(clients.aman), emmettMongo(clients.emmett)];
  const ceilings = {
    single: {
      system: RAW_MONGODB,
      figure: FIGURES.rawInsertOne,
      measure: () => rawInsertOne(clients.aman, ms),
    },
    batched: [
      {
        system: RAW_MONGODB,
        figure: FIGURES.rawInsertMany,
        measure: () => rawInsertMany(clients.aman, ms, ROWS_PER_COMMIT),
      },
    ],
  };
  const stores = await measureStores(MONGODB, systems, ceilings, ms, config.runs);
  if (config.only === 'stores') return stores;
  const log = caseLog(config.rebuildMongodbEvents);
  progress(describeLog(MONGODB, log));
  const rebuild = await measureFigure(
    MONGODB,
    rebuildFigure(log.events.length),
    [
      { system: AMAN_RUNNER, measure: () => mongoRebuild(clients.aman, log) },
      {
        system: RAW_MONGODB,
        figure: FIGURES.rawReadModelInsertMany,
        measure: () => rawMongoReadModelRows(clients.aman, log),
      },
    ],
    config.runs,
  );
  return [...stores, ...rebuild];
}

/** `concurrentCeilings`: the raw figures concurrent writers are compared with, in that order. */
function ratioSpecs(
  backend: Backend,
  aman: string,
  emmett: string,
  raw: string,
  concurrentCeilings: readonly Figure[],
): RatioSpec[] {
  const versusEmmett = [
    FIGURES.single,
    FIGURES.batch,
    FIGURES.read,
    FIGURES.scan,
    FIGURES.concurrent,
  ].map((figure): RatioSpec => ({
    backend,
    figureId: figure.id,
    numerator: aman,
    denominator: emmett,
    style: 'times',
  }));
  return [
    ...versusEmmett,
    {
      backend,
      figureId: FIGURES.single.id,
      numerator: aman,
      denominator: raw,
      denominatorFigureId: FIGURES.rawSingle.id,
      style: 'percent',
    },
    {
      backend,
      figureId: FIGURES.single.id,
      numerator: emmett,
      denominator: raw,
      denominatorFigureId: FIGURES.rawSingle.id,
      style: 'percent',
    },
    ...concurrentCeilings.map((ceiling): RatioSpec => ({
      backend,
      figureId: FIGURES.concurrent.id,
      numerator: aman,
      denominator: raw,
      denominatorFigureId: ceiling.id,
      style: 'percent',
    })),
    {
      backend,
      figureId: REBUILD_ID,
      numerator: AMAN_RUNNER,
      denominator: raw,
      denominatorFigureId: FIGURES.rawReadModelRows.id,
      style: 'percent',
    },
  ];
}

function findRatio(ratios: readonly Ratio[], spec: Omit<RatioSpec, 'style'>): Ratio {
  const found = ratios.find(
    (ratio) =>
      ratio.backend === spec.backend &&
      ratio.figureId === spec.figureId &&
      ratio.numerator === spec.numerator &&
      ratio.denominator === spec.denominator &&
      ratio.denominatorFigureId === spec.denominatorFigureId,
  );
  if (found === undefined) throw new Error(`no ratio for ${JSON.stringify(spec)}`);
  return found;
}

async function platformFigures(
  profile: PlatformProfile,
  config: BenchConfig,
  machine: string,
): Promise<PlatformResults | { readonly error: string }> {
  try {
    const platform = await measurePlatform(profile, {
      kafkaBrokers: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
      mongodbUri: config.mongodbUri,
    });
    process.stdout.write(
      `\n${renderPlatformReport(
        `Aman platform bench (${profile.name} profile), node ${process.version}, ${machine}, ${profile.runs} runs per figure`,
        platform.rows,
        platform.memory,
      )}\n`,
    );
    return platform;
  } catch (error) {
    const failed = { error: describeError(error) };
    progress(`platform bench failed: ${failed.error}`);
    return failed;
  }
}

async function main(): Promise<number> {
  // Emmett SQLite prints the errors it rethrows with console.log; stdout carries only the report.
  // eslint-disable-next-line no-console
  console.log = console.error;
  const profile = readProfile();
  const config = readConfig(profile.name);
  const startedAt = new Date();
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`;
  progress(
    `runs ${config.runs}; time box ${config.sqliteMeasureMs} ms (SQLite), ${config.mongodbMeasureMs} ms (MongoDB)`,
  );

  const sqliteRows = await measureSqlite(config);
  const clients = await connectMongo(config.mongodbUri);
  let mongoRows: Row[];
  try {
    mongoRows = await measureMongo(config, clients);
  } finally {
    if (!('error' in clients)) {
      await clients.aman.close();
      await clients.emmett.close();
    }
  }
  const rows = [...sqliteRows, ...mongoRows];

  const emmettMongoName = mongoRows.find((row) => row.system.startsWith('Emmett'))?.system ?? '';
  const specs = [
    ...ratioSpecs(SQLITE, amanSqlite.name, emmettSqlite.name, RAW_SQLITE, [
      FIGURES.rawStoredRows,
      FIGURES.rawBatch,
    ]),
    ...ratioSpecs(MONGODB, 'Aman MongoEventStore', emmettMongoName, RAW_MONGODB, [
      FIGURES.rawInsertMany,
    ]),
  ];
  const ratios = specs.map((spec) => computeRatio(rows, spec));
  const sqliteAman = { backend: SQLITE, numerator: amanSqlite.name };
  const targets = [
    evaluateTarget(
      'a',
      'SQLite: Aman durable sequential single appends ≥ 5× Emmett SQLite and ≥ 50 % of raw single-row commits',
      [
        {
          ratio: findRatio(ratios, {
            ...sqliteAman,
            figureId: FIGURES.single.id,
            denominator: emmettSqlite.name,
          }),
          atLeast: 5,
        },
        {
          ratio: findRatio(ratios, {
            ...sqliteAman,
            figureId: FIGURES.single.id,
            denominator: RAW_SQLITE,
            denominatorFigureId: FIGURES.rawSingle.id,
          }),
          atLeast: 0.5,
        },
      ],
    ),
    evaluateTarget(
      'b',
      `SQLite: under ${CONCURRENT_WRITERS} concurrent writers Aman ≥ 50 % of raw inserts of the same rows in commits of the same size`,
      [
        {
          ratio: findRatio(ratios, {
            ...sqliteAman,
            figureId: FIGURES.concurrent.id,
            denominator: RAW_SQLITE,
            denominatorFigureId: FIGURES.rawStoredRows.id,
          }),
          atLeast: 0.5,
        },
      ],
      // The earlier comparison, kept beside it: small rows in commits of 100 do not isolate the
      // store's own overhead (issue 12, item 4), so it no longer decides the target.
      [
        findRatio(ratios, {
          ...sqliteAman,
          figureId: FIGURES.concurrent.id,
          denominator: RAW_SQLITE,
          denominatorFigureId: FIGURES.rawBatch.id,
        }),
      ],
    ),
  ];

  const server = 'error' in clients ? `unreachable (${clients.error})` : clients.server;
  const notes = [
    "Every figure is units per second over one time-boxed run on a fresh temporary database; min/median/max over the runs. Systems take turns within each run; raw ceilings take theirs beside the figure they bound (1 row per commit beside sequential single appends; the store's rows in commits of its size, and small rows 100 per commit, beside concurrent writers).",
    "SQLite durability is read back from each store's own connection (PRAGMA journal_mode / synchronous). Emmett SQLite 0.38.5 sets only journal_mode=WAL; synchronous=FULL is SQLite's compiled-in default, so all three SQLite systems run at WAL + FULL: every append is fsynced before it resolves.",
    `MongoDB wire endpoint: ${server}. Every system writes with w:majority. FerretDB acknowledges a write after its SQLite backend commits (WAL; synchronous left at the default FULL). FerretDB figures are no guide to MongoDB's: it scans whole collections for every non-_id query (docs/adr/0002).`,
    `Emmett SQLite's ${CONCURRENT_WRITERS}-writer run happens in a child process with a ${SETTLE_MS / 1000} s settle limit: its store shares one connection between overlapping operations and closes it when any of them ends. Its figure counts successful appends only; failures are shown beside it.`,
    'Failures are counted, not fatal: a rate counts successful operations only, and "N failed (first error)" stands beside it. Emmett SQLite now and then fails a sequential commit with SQLITE_BUSY (statements in progress); untimed set-up appends are tried up to 3 times.',
    'Emmett MongoDB keeps one document per stream and no global log, so it has no full-log scan.',
    `"raw: 1 row per commit" and "raw: 100 rows per commit" insert the same payload into a minimal event table (global position, unique (stream, version)); Mongo raw inserts the same fields as one document per event.`,
    `"raw: Aman's rows, Aman's commit size" inserts the rows SqliteEventStore stores under ${CONCURRENT_WRITERS} writers (its own schema and indexes, all its columns: UUIDv7 ids, canonical data, the hash chain by its own rowHash, each event an append of one), opened as the store opens its file (WAL, synchronous FULL), in commits of as many rows as the store's commits held on average in the same round ("per commit" beside both rows). It leaves out the store's own work: validation, idempotency and expected-version lookups, the queue and the promises. Target (b) is judged against it; the small rows 100 per commit are kept for reference.`,
    `Projection rebuild: a fresh event store holds a case log (CaseOpened, RiskAssessed, CaseClosed; cases of 3-12 events, interleaved; appended untimed); ProjectionRunner.ensureBuilt rebuilds the case board from it into a fresh read-model store: one document per case (latest status and risk level, indexed by province and status), deleted when the case closes; checkpoints go to a SQLite file beside it / the same MongoDB database. Only ensureBuilt is timed (read, project, write, checkpoint). Its ceiling inserts one read-model row per event (same table or collection, indexes and row shape; ${RAW_ROWS_PER_COMMIT} per transaction / insertMany) straight into the driver at the same durability.`,
  ];

  const report = renderReport({
    heading: `Aman event store bench, ${startedAt.toISOString()}: node ${process.version}, ${machine}, ${config.runs} runs per figure`,
    rows,
    ratios,
    targets,
    notes,
  });
  process.stdout.write(`${report}\n`);

  const platform =
    config.only === 'stores'
      ? { skipped: 'BENCH_ONLY=stores' }
      : await platformFigures(profile, config, machine);

  const file = writeResultFile(timestamp(startedAt), {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: process.platform,
      machine,
      mongodb: server,
    },
    config: { ...config, mongodbUri: undefined },
    profile,
    platform,
    rows,
    ratios,
    targets,
    notes,
  });
  process.stdout.write(`\nresults written to ${file}\n`);

  // A failure in an Aman or raw row means a regression or a broken bench; Emmett's are findings.
  const broken = rows.some(
    (row) => (row.status === 'failed' || row.failures > 0) && !row.system.startsWith('Emmett'),
  );
  return broken || 'error' in platform ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);

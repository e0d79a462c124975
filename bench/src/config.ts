import type { ProfileName } from './platform/profile.ts';

/** The bench's settings, read once from the environment at start-up. */
export interface BenchConfig {
  /** MongoDB wire endpoint (FerretDB in this project's CI and on its machines). */
  readonly mongodbUri: string;
  /** Repetitions of every measurement; the table reports min/median/max over them. */
  readonly runs: number;
  /** How long one time-boxed measurement runs, per backend. */
  readonly sqliteMeasureMs: number;
  readonly mongodbMeasureMs: number;
  /** Events in the log the projection rebuild reads, per backend. */
  readonly rebuildSqliteEvents: number;
  readonly rebuildMongodbEvents: number;
  /** `stores`: only the event-store figures (no projection rebuild, no platform), for quick checks. */
  readonly only: 'stores' | undefined;
}

function onlyPart(): 'stores' | undefined {
  const raw = process.env['BENCH_ONLY'];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'stores') return raw;
  throw new Error(`BENCH_ONLY must be empty or stores (got ${JSON.stringify(raw)})`);
}

const DEFAULT_MONGODB_URI = 'mongodb://127.0.0.1:27017/';

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** A flag set to `1` (anything else, or unset, is off). */
function flag(name: string): boolean {
  return process.env[name] === '1';
}

/** The event-store figures' defaults: smaller in the quick profile (BENCH_PROFILE, profile.ts). */
export function readConfig(profile: ProfileName): BenchConfig {
  const quick = profile === 'quick';
  return {
    mongodbUri: process.env['MONGODB_URI'] ?? DEFAULT_MONGODB_URI,
    runs: positiveInteger('BENCH_RUNS', 3),
    sqliteMeasureMs: positiveInteger('BENCH_SQLITE_MS', quick ? 500 : 1000),
    mongodbMeasureMs: positiveInteger('BENCH_MONGODB_MS', quick ? 700 : 1500),
    rebuildSqliteEvents: positiveInteger('BENCH_REBUILD_SQLITE_EVENTS', quick ? 20_000 : 50_000),
    rebuildMongodbEvents: positiveInteger('BENCH_REBUILD_MONGODB_EVENTS', quick ? 1_000 : 3_000),
    only: onlyPart(),
  };
}

/** Settings of the growth bench (`pnpm bench:growth`, growth.ts). */
export interface GrowthConfig {
  readonly mongodbUri: string;
  /** Writer processes, each with its own client and store on the same database. */
  readonly writers: number;
  /** The run stops once the log holds this many commits, or after maxMs, whichever comes first. */
  readonly commits: number;
  readonly maxMs: number;
  /** Commits per row of the table: the rate is measured over each such window of log growth. */
  readonly bucket: number;
  /** Streams each writer appends to round robin; a stream full at STREAM_LENGTH is replaced. */
  readonly streamsPerWriter: number;
  /** Appends each writer keeps in flight at once (1: one append at a time, each awaited). */
  readonly inFlight: number;
  /** Keep the database afterwards (for explainHotPaths.ts) instead of dropping it. */
  readonly keepDatabase: boolean;
  /** Free text stored with the results, e.g. `before` / `after`. */
  readonly label: string;
}

export function readGrowthConfig(): GrowthConfig {
  const streamsPerWriter = positiveInteger('BENCH_GROWTH_STREAMS', 10);
  const inFlight = positiveInteger('BENCH_GROWTH_IN_FLIGHT', 1);
  if (inFlight > streamsPerWriter) {
    // Two appends in flight on one stream would race each other for the same version.
    throw new Error('BENCH_GROWTH_IN_FLIGHT must not exceed BENCH_GROWTH_STREAMS');
  }
  return {
    mongodbUri: process.env['MONGODB_URI'] ?? DEFAULT_MONGODB_URI,
    writers: positiveInteger('BENCH_GROWTH_WRITERS', 4),
    commits: positiveInteger('BENCH_GROWTH_COMMITS', 10_000),
    maxMs: positiveInteger('BENCH_GROWTH_MAX_MS', 600_000),
    bucket: positiveInteger('BENCH_GROWTH_BUCKET', 250),
    streamsPerWriter,
    inFlight,
    keepDatabase: flag('BENCH_GROWTH_KEEP'),
    label: process.env['BENCH_GROWTH_LABEL'] ?? '',
  };
}

/** Settings of explainHotPaths.ts. */
export interface ExplainConfig {
  readonly mongodbUri: string;
  /** A database a growth run kept (BENCH_GROWTH_KEEP=1); when absent, a fresh one is filled. */
  readonly database: string | undefined;
  /** Commits appended to the fresh database when no database is given. */
  readonly commits: number;
  /** Which store version's queries to explain (a key of QUERY_SETS in hotQueries.ts). */
  readonly querySet: string;
  /** Times each query is run to time it; the median is reported. */
  readonly repetitions: number;
  readonly label: string;
}

export function readExplainConfig(): ExplainConfig {
  const database = process.env['BENCH_EXPLAIN_DATABASE'];
  return {
    mongodbUri: process.env['MONGODB_URI'] ?? DEFAULT_MONGODB_URI,
    database: database === '' ? undefined : database,
    commits: positiveInteger('BENCH_EXPLAIN_COMMITS', 3_000),
    querySet: process.env['BENCH_EXPLAIN_QUERIES'] ?? 'commit-documents',
    repetitions: positiveInteger('BENCH_EXPLAIN_REPETITIONS', 5),
    label: process.env['BENCH_EXPLAIN_LABEL'] ?? '',
  };
}

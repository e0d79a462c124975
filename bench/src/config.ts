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

export function readConfig(): BenchConfig {
  return {
    mongodbUri: process.env['MONGODB_URI'] ?? DEFAULT_MONGODB_URI,
    runs: positiveInteger('BENCH_RUNS', 3),
    sqliteMeasureMs: positiveInteger('BENCH_SQLITE_MS', 1000),
    mongodbMeasureMs: positiveInteger('BENCH_MONGODB_MS', 1500),
    rebuildSqliteEvents: positiveInteger('BENCH_REBUILD_SQLITE_EVENTS', 50_000),
    rebuildMongodbEvents: positiveInteger('BENCH_REBUILD_MONGODB_EVENTS', 3_000),
  };
}

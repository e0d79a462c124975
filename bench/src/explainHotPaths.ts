// `pnpm --filter @aman/bench run bench:explain`: the server's `explain` for every query a version of
// MongoEventStore makes on its hot paths (explain/hotQueries.ts), with each query timed on the same
// log. FerretDB 1.x pushes a query down to SQLite only when its filter is exactly `{ _id: <string
// or ObjectId> }` and sorts and limits only what it pushes down; everything else reads, decodes
// and filters the whole collection in FerretDB (docs/adr/0002). Explain shows which of the two
// each query gets; the timings show what that costs at this log size.
import { performance } from 'node:perf_hooks';

import { MongoClient, type Db, type Document } from 'mongodb';

import { MongoEventStore } from '@aman/eventstore';

import { readExplainConfig, type ExplainConfig } from './config.ts';
import { describeMongoServer, sourceRevision, timestamp, writeResultFile } from './environment.ts';
import { QUERY_SETS, type HotQuery } from './explain/hotQueries.ts';
import { describeError } from './measure.ts';
import { summarise } from './stats.ts';
import { freshDatabaseName } from './tempDir.ts';
import { BENCH_EVENT, STREAM_LENGTH } from './workload.ts';

function progress(message: string): void {
  process.stderr.write(`bench:explain: ${message}\n`);
}

interface Explained {
  readonly query: HotQuery;
  /** FerretDB's extensions of the explain reply; absent on MongoDB. */
  readonly filterPushdown?: boolean;
  readonly sortPushdown?: boolean;
  readonly limitPushdown?: boolean;
  /** FerretDB on SQLite: the `EXPLAIN QUERY PLAN` lines; MongoDB: the winning plan as JSON. */
  readonly plan: readonly string[];
  /** The statement FerretDB 1.24's SQLite backend sends for this query (from its pushdown rules). */
  readonly sql?: string;
  readonly documents: number;
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  readonly verdict: string;
}

function findCommand(query: HotQuery): Document {
  return {
    find: query.collection,
    filter: query.filter,
    ...(query.sort === undefined ? {} : { sort: query.sort }),
    ...(query.projection === undefined ? {} : { projection: query.projection }),
    ...(query.limit === undefined ? {} : { limit: query.limit }),
  };
}

function optionalBoolean(reply: Document, name: string): { [name: string]: boolean } {
  const value: unknown = reply[name];
  return typeof value === 'boolean' ? { [name]: value } : {};
}

function planLines(reply: Document): string[] {
  const planner: unknown = reply['queryPlanner'];
  if (typeof planner !== 'object' || planner === null) return [];
  const lines: unknown = (planner as Document)['Plan'];
  if (Array.isArray(lines)) {
    // "id=2 parent=0 notused=0 detail=SCAN events_12d8e384": the detail is what matters.
    return lines.map((line) => String(line).replace(/^.*detail=/, ''));
  }
  return [JSON.stringify((planner as Document)['winningPlan'] ?? planner)];
}

/**
 * The statement FerretDB 1.24.2 builds in internal/backends/sqlite/collection.go: a filter goes
 * down only as `WHERE _ferretdb_sjson->'$._id' = ?`, an order only for `$natural` on capped
 * collections, a limit only when there is neither filter nor sort. The rest happens in FerretDB,
 * over every document SQLite returns.
 */
function ferretdbSql(plan: readonly string[], pushdown: Partial<Record<string, boolean>>): string {
  const table = /(?:SCAN|SEARCH) (\S+)/.exec(plan.join('\n'))?.[1] ?? '<table>';
  return (
    `SELECT _ferretdb_sjson FROM "${table}"` +
    (pushdown['filterPushdown'] === true ? ` WHERE _ferretdb_sjson->'$._id' = ?` : '') +
    (pushdown['sortPushdown'] === true ? ' ORDER BY _ferretdb_record_id' : '') +
    (pushdown['limitPushdown'] === true ? ' LIMIT ?' : '')
  );
}

function verdict(query: HotQuery, explained: Omit<Explained, 'verdict'>): string {
  if (explained.filterPushdown === undefined) return 'not FerretDB: read the plan';
  const indexed = explained.plan.some((line) => line.startsWith('SEARCH'));
  const rest: string[] = [];
  if (query.sort !== undefined && explained.sortPushdown !== true) rest.push('sorted in FerretDB');
  if (query.limit !== undefined && explained.limitPushdown !== true) {
    rest.push('limited in FerretDB');
  }
  const after = rest.length === 0 ? '' : `; ${rest.join(', ')}`;
  if (explained.filterPushdown && indexed) return `_id lookup through the index${after}`;
  if (explained.filterPushdown) {
    // FerretDB 1.24.2 indexes `_ferretdb_sjson->"_id"` but queries `_ferretdb_sjson->'$._id'`:
    // SQLite does not see them as the same expression, so the `_id` index is not used.
    return `_id filter pushed down, but SQLite scans the table (the _id index is not used)${after}`;
  }
  if (Object.keys(query.filter).length === 0 && explained.limitPushdown === true) {
    return 'no filter; the limit is pushed down: SQLite stops after the first rows';
  }
  return `no pushdown: every document of the collection is read and decoded in FerretDB${after}`;
}

async function explain(db: Db, query: HotQuery, repetitions: number): Promise<Explained> {
  const reply = await db.command({ explain: findCommand(query), verbosity: 'queryPlanner' });
  const pushdown = {
    ...optionalBoolean(reply, 'filterPushdown'),
    ...optionalBoolean(reply, 'sortPushdown'),
    ...optionalBoolean(reply, 'limitPushdown'),
  };
  const plan = planLines(reply);
  const run = async (): Promise<{ documents: number; ms: number }> => {
    const started = performance.now();
    const found = await db
      .collection(query.collection)
      .find(query.filter, {
        ...(query.sort === undefined ? {} : { sort: query.sort }),
        ...(query.projection === undefined ? {} : { projection: query.projection }),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
      })
      .toArray();
    return { documents: found.length, ms: performance.now() - started };
  };
  await run(); // warm-up: connection, SQLite page cache
  const runs: { documents: number; ms: number }[] = [];
  for (let index = 0; index < repetitions; index += 1) runs.push(await run());
  const runsMs = runs.map((timed) => timed.ms);
  const explained = {
    query,
    ...pushdown,
    plan,
    ...(reply['filterPushdown'] === undefined ? {} : { sql: ferretdbSql(plan, pushdown) }),
    documents: runs[0]?.documents ?? 0,
    medianMs: summarise(runsMs)?.median ?? 0,
    runsMs,
  };
  return { ...explained, verdict: verdict(query, explained) };
}

/** Fills a fresh database through the store, one writer, single-event commits. */
async function fill(client: MongoClient, config: ExplainConfig): Promise<string> {
  const database = freshDatabaseName('aman_explain');
  const store = await MongoEventStore.open({ client, database });
  try {
    for (let commit = 0; commit < config.commits; commit += 1) {
      const stream = `explain-${Math.floor(commit / STREAM_LENGTH)}`;
      await store.append(stream, [BENCH_EVENT], { expectedVersion: commit % STREAM_LENGTH });
      if ((commit + 1) % 500 === 0) progress(`filled ${commit + 1} of ${config.commits} commits`);
    }
  } finally {
    await store.close();
  }
  return database;
}

function yesNo(value: boolean | undefined): string {
  return value === undefined ? '-' : value ? 'yes' : 'no';
}

function render(heading: readonly string[], results: readonly Explained[]): string {
  const out = [...heading, ''];
  results.forEach((result, index) => {
    const { query } = result;
    out.push(`[${index + 1}] ${query.name}: ${query.source}`);
    out.push(`    ${JSON.stringify(findCommand(query))}`);
    out.push(
      `    pushdown: filter ${yesNo(result.filterPushdown)}, sort ${yesNo(result.sortPushdown)}, limit ${yesNo(result.limitPushdown)}`,
    );
    out.push(`    plan: ${result.plan.join(' / ')}`);
    if (result.sql !== undefined) out.push(`    SQL: ${result.sql}`);
    out.push(
      `    ${result.documents} documents; median ${result.medianMs.toFixed(1)} ms over ${result.runsMs.length} runs`,
    );
    out.push(`    => ${result.verdict}`);
    out.push('');
  });
  return out.join('\n');
}

async function main(): Promise<void> {
  const config = readExplainConfig();
  const set = QUERY_SETS[config.querySet];
  if (set === undefined) {
    throw new Error(
      `BENCH_EXPLAIN_QUERIES=${config.querySet} is not one of ${Object.keys(QUERY_SETS).join(', ')}`,
    );
  }
  const startedAt = new Date();
  const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  const filled = config.database === undefined;
  let database = config.database;
  try {
    const server = await describeMongoServer(client);
    database ??= await fill(client, config);
    const db = client.db(database);
    const collections = await Promise.all(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map(async ({ name }) => ({
        name,
        documents: await db.collection(name).countDocuments(),
      })),
    );
    const queries = await set.queries(db);
    const results: Explained[] = [];
    for (const query of queries) {
      progress(query.name);
      results.push(await explain(db, query, config.repetitions));
    }
    const heading = [
      `MongoEventStore hot queries${config.label === '' ? '' : ` (${config.label})`}, ${startedAt.toISOString()}: ${server}; code ${sourceRevision()}`,
      `query set ${config.querySet}: ${set.description}`,
      `database ${database}${filled ? ` (filled here: ${config.commits} single-event commits, one writer)` : ''}; ` +
        collections.map(({ name, documents }) => `${name}: ${documents} documents`).join(', '),
    ];
    process.stdout.write(render(heading, results));
    const file = writeResultFile(`explain-${config.querySet}-${timestamp(startedAt)}`, {
      startedAt: startedAt.toISOString(),
      heading,
      collections,
      results,
    });
    process.stdout.write(`results written to ${file}\n`);
  } finally {
    if (filled && database !== undefined) await client.db(database).dropDatabase();
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench:explain failed: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}\n`,
    );
    process.exit(1);
  },
);

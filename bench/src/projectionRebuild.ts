// Projection rebuild: Aman's ProjectionRunner rebuilding a read model from an event store, beside
// raw bulk inserts of as many read-model rows straight into the driver (DESIGN.md §9).
import Database from 'better-sqlite3';
import type { MongoClient } from 'mongodb';

import {
  MongoCheckpointStore,
  MongoEventStore,
  SqliteCheckpointStore,
  SqliteEventStore,
  type CheckpointStore,
  type EventStore,
  type JsonObject,
  type NewEvent,
} from '@aman/eventstore';
import {
  MongoReadModelStore,
  ProjectionRunner,
  SqliteReadModelStore,
  type Projection,
  type ReadModelStore,
} from '@aman/projections';

import { timedOnce } from './measure.ts';
import { sqliteDurability } from './sqlite/durability.ts';
import type { Measured } from './systems.ts';
import { freshDatabaseName, freshDirectory } from './tempDir.ts';

/** The source name the runner is given; the read model's version keys are `intake|<stream>`. */
const SOURCE = 'intake';

/** Rows per transaction (SQLite) or per insertMany (MongoDB) of the raw ceiling: as many as one
 * of the runner's pages of 500 events can write at most. */
export const RAW_ROWS_PER_COMMIT = 500;

/** Appends issued together while filling a source (untimed): the stores group-commit them. */
const FILL_CHUNK = 1000;

/** Events in the small log a warm-up rebuild reads before the measured one. */
const WARM_UP_EVENTS = 300;

// ---------------------------------------------------------------------------------------------
// The log: cases opened, assessed and closed, interleaved as they are over time

/** One event of the log, in global order. */
export interface LogEvent {
  readonly stream: string;
  /** 1 for the case's first event. */
  readonly version: number;
  readonly type: 'CaseOpened' | 'RiskAssessed' | 'CaseClosed';
  readonly data: JsonObject;
}

/** A read-model row as the store keeps it: a tombstone has no data. */
export interface ReadModelRow {
  readonly id: string;
  readonly data: JsonObject | null;
  readonly versions: Readonly<Record<string, number>>;
}

export interface CaseLog {
  readonly events: readonly LogEvent[];
  /** One row per event: the case document as that event leaves it (the raw ceiling's rows). */
  readonly rows: readonly ReadModelRow[];
  readonly cases: number;
  /** Cases not closed: the documents the rebuilt read model holds. */
  readonly openCases: number;
}

const PROFILES = [
  'journalist',
  'lawyer',
  'land-defender',
  'union-organiser',
  'environmental-defender',
  'lgbtiq-activist',
] as const;
const GENDERS = ['female', 'male', 'non-binary', 'undisclosed'] as const;
const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
const OUTCOMES = ['resolved', 'relocated', 'referred-on', 'lost-contact'] as const;
const PROVINCES = 12;
/** A case's events are this many case openings apart on average (mean gap: SPREAD / 2). */
const SPREAD = 30;
const CLOSED_SHARE = 0.4;

/** mulberry32: a small seeded generator, so every run rebuilds the same log. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `total` events over cases of 3 to 12 events (7.5 on average): each opens (`CaseOpened`: province,
 * profile, gender), is assessed a few times (`RiskAssessed`: level), and 40 % close
 * (`CaseClosed`). Cases open one after another and their events spread over the next ~100 case
 * openings, so the log interleaves many cases, as a real one does.
 */
export function caseLog(total: number, seed = 0x5eed): CaseLog {
  const random = seeded(seed);
  const pick = <T>(items: readonly [T, ...T[]]): T =>
    items[Math.floor(random() * items.length)] ?? items[0];
  const scheduled: (LogEvent & { readonly time: number })[] = [];
  let cases = 0;
  let closed = 0;
  while (scheduled.length < total) {
    const stream = `case-${cases}`;
    const length = Math.min(3 + Math.floor(random() * 10), total - scheduled.length);
    const closes = length > 1 && random() < CLOSED_SHARE;
    if (closes) closed += 1;
    let time = cases + random();
    for (let version = 1; version <= length; version += 1) {
      if (version === 1) {
        const province = `P-${String(1 + Math.floor(random() * PROVINCES)).padStart(2, '0')}`;
        const data = { province, profile: pick(PROFILES), gender: pick(GENDERS) };
        scheduled.push({ time, stream, version, type: 'CaseOpened', data });
      } else if (version === length && closes) {
        scheduled.push({
          time,
          stream,
          version,
          type: 'CaseClosed',
          data: { outcome: pick(OUTCOMES) },
        });
      } else {
        const data = { level: pick(LEVELS), reviewDueInDays: pick([7, 14, 30]) };
        scheduled.push({ time, stream, version, type: 'RiskAssessed', data });
      }
      time += 1e-6 + random() * SPREAD;
    }
    cases += 1;
  }
  // A stable sort on times that grow within a case keeps every case's events in order.
  scheduled.sort((a, b) => a.time - b.time);
  const events = scheduled.map(({ stream, version, type, data }) => ({
    stream,
    version,
    type,
    data,
  }));

  const documents = new Map<string, JsonObject>();
  const rows = events.map((event): ReadModelRow => {
    const data = projectDocument(event, documents.get(event.stream));
    if (data === undefined) documents.delete(event.stream);
    else documents.set(event.stream, data);
    return {
      id: `${event.stream}-${event.version}`,
      data: data ?? null,
      versions: { [`${SOURCE}|${event.stream}`]: event.version },
    };
  });
  return { events, rows, cases, openCases: cases - closed };
}

/** The case document after `event`; undefined: the case is closed (its document deleted). */
function projectDocument(
  event: Pick<LogEvent, 'type' | 'data'>,
  current: JsonObject | undefined,
): JsonObject | undefined {
  switch (event.type) {
    case 'CaseOpened':
      return { ...event.data, status: 'open', level: null, assessments: 0 };
    case 'RiskAssessed':
      return current === undefined
        ? undefined
        : {
            ...current,
            status: 'assessed',
            level: event.data['level'] ?? null,
            assessments: Number(current['assessments']) + 1,
          };
    case 'CaseClosed':
      return undefined;
  }
}

/** One document per case with its latest status and risk level, deleted when the case closes. */
export function caseBoard(name: string): Projection {
  return {
    name,
    version: 1,
    collections: { cases: { indexes: ['province', 'status'] } },
    handles: ['CaseOpened', 'RiskAssessed', 'CaseClosed'],
    async project(event, context) {
      const type = event.type as LogEvent['type'];
      const current =
        type === 'RiskAssessed' ? await context.get('cases', event.stream) : undefined;
      const next = projectDocument({ type, data: event.data }, current);
      if (next === undefined) await context.delete('cases', event.stream);
      else await context.put('cases', event.stream, next);
    },
  };
}

function newEvent(event: LogEvent): NewEvent {
  return {
    type: event.type,
    schemaVersion: 1,
    data: event.data,
    metadata: {
      actor: { organisationId: 'org-bench-ngo', principalId: 'principal-bench-caseworker' },
      correlationId: `correlation-${event.stream}`,
    },
  };
}

/** Appends the log in its order, FILL_CHUNK appends at a time (group-committed), untimed. */
async function fill(store: EventStore, events: readonly LogEvent[]): Promise<void> {
  for (let first = 0; first < events.length; first += FILL_CHUNK) {
    await Promise.all(
      events
        .slice(first, first + FILL_CHUNK)
        .map((event) =>
          store.append(event.stream, [newEvent(event)], { expectedVersion: event.version - 1 }),
        ),
    );
  }
  const head = await store.headPosition();
  if (head !== events.length) {
    throw new Error(`the source holds ${head} events, not ${events.length}`);
  }
}

interface RebuildSetup {
  readonly readModels: ReadModelStore;
  readonly checkpoints: CheckpointStore;
}

/**
 * Warms the runner and the read-model store up on a small log of their own (untimed), then fills
 * `source` with `log` and times `ensureBuilt` rebuilding the case board from it. The rebuilt read
 * model is checked afterwards: one document per open case.
 */
async function timedRebuild(
  setup: RebuildSetup,
  warmUpSource: EventStore,
  source: EventStore,
  log: CaseLog,
): Promise<Measured['sample']> {
  const warmUp = new ProjectionRunner({
    projection: caseBoard('warmup'),
    store: setup.readModels,
    checkpoints: setup.checkpoints,
  });
  await fill(warmUpSource, caseLog(WARM_UP_EVENTS, 7).events);
  await warmUp.ensureBuilt({ [SOURCE]: warmUpSource });

  await fill(source, log.events);
  const runner = new ProjectionRunner({
    projection: caseBoard('caseboard'),
    store: setup.readModels,
    checkpoints: setup.checkpoints,
  });
  const sample = await timedOnce(async () => {
    const { rebuilt } = await runner.ensureBuilt({ [SOURCE]: source });
    if (!rebuilt) throw new Error('ensureBuilt did not rebuild a projection that was never built');
    return log.events.length;
  });
  const documents = await (await runner.reader('cases')).count();
  if (documents !== log.openCases) {
    throw new Error(`the rebuilt read model holds ${documents} cases, not ${log.openCases}`);
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------
// SQLite

function fileDurability(path: string, synchronous: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const mode = String(db.pragma('journal_mode', { simple: true })).toUpperCase();
    return `journal_mode=${mode}, synchronous=${synchronous}`;
  } finally {
    db.close();
  }
}

/**
 * SqliteEventStore → ProjectionRunner → SqliteReadModelStore, with a SqliteCheckpointStore, every
 * file in a fresh directory at the stores' default durability (WAL, synchronous=FULL).
 */
export async function sqliteRebuild(log: CaseLog): Promise<Measured> {
  const directory = freshDirectory();
  const path = (name: string): string => `${directory.path}/${name}.db`;
  const warmUpSource = new SqliteEventStore({ path: path('warmup-intake') });
  const source = new SqliteEventStore({ path: path('intake') });
  const readModels = new SqliteReadModelStore({ path: path('read-models') });
  const checkpoints = new SqliteCheckpointStore({ path: path('checkpoints') });
  try {
    const sample = await timedRebuild({ readModels, checkpoints }, warmUpSource, source, log);
    // journal_mode is kept in the file; synchronous is per connection and the read-model store
    // does not expose its own, so it is the store's default (FULL), not read back.
    const durability = fileDurability(path('read-models'), 'FULL (store default, not read back)');
    return { sample, durability };
  } finally {
    await Promise.all([
      warmUpSource.close(),
      source.close(),
      readModels.close(),
      checkpoints.close(),
    ]);
    directory.remove();
  }
}

/** The table and indexes SqliteReadModelStore creates for a collection indexed like the board. */
const READ_MODEL_SCHEMA = `
  CREATE TABLE rm_raw (id TEXT PRIMARY KEY, data TEXT, versions TEXT NOT NULL) STRICT;
  CREATE INDEX rm_raw_province_eq ON rm_raw ((data -> '$.province'), id);
  CREATE INDEX rm_raw_province_ord ON rm_raw ((data ->> '$.province'), id);
  CREATE INDEX rm_raw_status_eq ON rm_raw ((data -> '$.status'), id);
  CREATE INDEX rm_raw_status_ord ON rm_raw ((data ->> '$.status'), id);
`;

/**
 * The ceiling: better-sqlite3 inserting one read-model row per event of the log into the same
 * table and indexes, RAW_ROWS_PER_COMMIT rows per transaction, at WAL + synchronous=FULL.
 */
export async function rawSqliteReadModelRows(log: CaseLog): Promise<Measured> {
  const directory = freshDirectory();
  const db = new Database(`${directory.path}/raw.db`);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(READ_MODEL_SCHEMA);
    const insert = db.prepare<[string, string | null, string]>(
      'INSERT INTO rm_raw (id, data, versions) VALUES (?, ?, ?)',
    );
    const commit = db.transaction((rows: readonly ReadModelRow[]) => {
      for (const row of rows) {
        insert.run(
          row.id,
          row.data === null ? null : JSON.stringify(row.data),
          JSON.stringify(row.versions),
        );
      }
    });
    const durability = sqliteDurability(
      String(db.pragma('journal_mode', { simple: true })),
      Number(db.pragma('synchronous', { simple: true })),
    );
    commit([{ id: 'warmup', data: { status: 'open' }, versions: {} }]);
    const sample = await timedOnce(() => {
      for (let first = 0; first < log.rows.length; first += RAW_ROWS_PER_COMMIT) {
        commit(log.rows.slice(first, first + RAW_ROWS_PER_COMMIT));
      }
      return Promise.resolve(log.rows.length);
    });
    return { sample, durability };
  } finally {
    db.close();
    directory.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// MongoDB wire

const WRITE_CONCERN = { w: 'majority' } as const;

/** How long one MongoDB rebuild run (fill included) may take before it counts as hung. */
export const MONGO_RUN_DEADLINE_MS = 120_000;

/** Rejects when `work` has not settled within `ms`, so a server that hangs fails the row instead of
 * the whole bench. */
async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} had not finished after ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * MongoEventStore → ProjectionRunner → MongoReadModelStore (which writes in slices FerretDB can
 * take, ADR 0002), with a MongoCheckpointStore, all in a fresh database that is dropped
 * afterwards. Every store writes with w: majority itself.
 */
export async function mongoRebuild(client: MongoClient, log: CaseLog): Promise<Measured> {
  const database = freshDatabaseName('aman_rebuild');
  try {
    const warmUpSource = await MongoEventStore.open({
      client,
      database,
      collection: 'warmup_events',
    });
    const source = await MongoEventStore.open({ client, database });
    const readModels = new MongoReadModelStore({ client, database });
    const checkpoints = new MongoCheckpointStore({ client, database });
    const sample = await withDeadline(
      timedRebuild({ readModels, checkpoints }, warmUpSource, source, log),
      MONGO_RUN_DEADLINE_MS,
      'the MongoDB rebuild run',
    );
    // Closed only after a run that finished: a store closes once its pending appends are written.
    await Promise.all([
      warmUpSource.close(),
      source.close(),
      readModels.close(),
      checkpoints.close(),
    ]);
    return { sample, durability: 'w:majority (set by the stores)' };
  } finally {
    // Dropping a database still answers when an operation on it hangs.
    await withDeadline(client.db(database).dropDatabase(), 30_000, `dropping ${database}`);
  }
}

/**
 * The ceiling: the driver's insertMany of one read-model document per event of the log
 * (`{ _id, data, v }`, as MongoReadModelStore stores them) into a collection with the same
 * indexes, RAW_ROWS_PER_COMMIT documents per call, w: majority.
 */
export async function rawMongoReadModelRows(client: MongoClient, log: CaseLog): Promise<Measured> {
  const database = freshDatabaseName('raw_rebuild');
  const db = client.db(database);
  try {
    const collection = db.collection<{
      _id: string;
      data: JsonObject | null;
      v: Record<string, number>;
    }>('rm_raw');
    // One index per call, as MongoReadModelStore does (FerretDB, ADR 0002).
    for (const field of ['province', 'status']) {
      await collection.createIndex({ [`data.${field}`]: 1, _id: 1 }, { name: `${field}_id` }, {});
    }
    await collection.insertOne(
      { _id: 'warmup', data: { status: 'open' }, v: {} },
      { writeConcern: WRITE_CONCERN },
    );
    const documents = log.rows.map((row) => ({
      _id: row.id,
      data: row.data,
      v: { ...row.versions },
    }));
    const sample = await timedOnce(async () => {
      for (let first = 0; first < documents.length; first += RAW_ROWS_PER_COMMIT) {
        await collection.insertMany(documents.slice(first, first + RAW_ROWS_PER_COMMIT), {
          writeConcern: WRITE_CONCERN,
        });
      }
      return documents.length;
    });
    return { sample, durability: 'w:majority (per insertMany)' };
  } finally {
    await db.dropDatabase();
  }
}

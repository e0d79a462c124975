// `pnpm --filter @aman/bench run bench:growth`: appends per second by log size, with several writer
// processes on one MongoEventStore database. FerretDB 1.x scans the whole collection for every
// query not on `_id` (docs/adr/0002), and 1.24 answers even `_id` lookups with a scan inside SQLite
// (README), so a store pays for the log's size on some appends, the more so when writers in other
// processes keep invalidating what it cached. The figure shows whether appends cost the same at
// 10,000 commits as at 250, and whether every writer keeps getting its appends in. It uses only the
// EventStore API, so it measures any version of the store.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

import { MongoClient } from 'mongodb';

import { MongoEventStore } from '@aman/eventstore';

import { readGrowthConfig, type GrowthConfig } from './config.ts';
import { describeMongoServer, sourceRevision, timestamp, writeResultFile } from './environment.ts';
import type { ParentMessage, WriterArguments, WriterMessage } from './growth/protocol.ts';
import { WindowRecorder, flatness, renderWindows, windowCells } from './growth/windows.ts';
import { describeError } from './measure.ts';
import { freshDatabaseName } from './tempDir.ts';
import { STREAM_LENGTH } from './workload.ts';

const WRITER = fileURLToPath(new URL('./growth/writer.js', import.meta.url));
/** How long writers get to open their stores before the run is abandoned. */
const READY_TIMEOUT_MS = 60_000;
/**
 * How long writers get, after the stop, to settle the appends in flight and close. Before the fix
 * of issue 6 one append could take tens of seconds at a few thousand commits.
 */
const STOP_GRACE_MS = 180_000;
/** A progress line at least this often while a window is slow to fill. */
const HEARTBEAT_MS = 30_000;

function progress(message: string): void {
  process.stderr.write(`bench:growth: ${message}\n`);
}

type StopReason = 'target commit count' | 'time limit' | 'a writer process failed';

interface WriterState {
  readonly child: ChildProcess;
  ready: boolean;
  /** Seconds since the start when the writer's last append settled. */
  lastAppendedAt: number;
  done?: Extract<WriterMessage, { kind: 'done' }>;
  exited: Promise<void>;
  /** Set when the process ended before it reported `done`. */
  died?: string;
}

function spawnWriter(config: GrowthConfig, database: string, writer: number): WriterState {
  const args: WriterArguments = {
    mongodbUri: config.mongodbUri,
    database,
    writer,
    streams: config.streamsPerWriter,
    inFlight: config.inFlight,
  };
  const child = fork(WRITER, [JSON.stringify(args)], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const state: WriterState = { child, ready: false, lastAppendedAt: 0, exited: Promise.resolve() };
  state.exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      if (state.done === undefined) {
        const how = signal === null ? `exit code ${code ?? '?'}` : `signal ${signal}`;
        state.died = `writer ${writer} ended (${how}) before it was done: ${stderr.trim()}`;
      }
      resolve();
    });
  });
  return state;
}

function tell(state: WriterState, message: ParentMessage): void {
  if (state.child.connected) state.child.send(message);
}

/** Resolves once `predicate` holds, checked on every writer message and exit; false on timeout. */
function waitFor(
  writers: readonly WriterState[],
  predicate: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!predicate()) return;
      cleanUp();
      resolve(true);
    };
    const timer = setTimeout(() => {
      cleanUp();
      resolve(false);
    }, timeoutMs);
    const cleanUp = (): void => {
      clearTimeout(timer);
      for (const { child } of writers) {
        child.off('message', check);
        child.off('exit', check);
      }
    };
    for (const { child } of writers) {
      child.on('message', check);
      child.on('exit', check);
    }
    check();
  });
}

interface RunOutcome {
  readonly recorder: WindowRecorder;
  readonly stopReason: StopReason;
  /** Commits reported after the stop, by appends that were in flight: in the log, not in a window. */
  readonly drained: number;
  readonly writers: readonly WriterState[];
}

async function run(config: GrowthConfig, database: string): Promise<RunOutcome> {
  const writers = Array.from({ length: config.writers }, (_, writer) =>
    spawnWriter(config, database, writer),
  );
  const live = (): WriterState[] => writers.filter((state) => state.died === undefined);
  for (const state of writers) {
    state.child.on('message', (message: WriterMessage) => {
      if (message.kind === 'ready') state.ready = true;
      if (message.kind === 'done') state.done = message;
    });
  }
  const allReady = await waitFor(
    writers,
    () => writers.every((state) => state.ready) || writers.some((state) => state.died),
    READY_TIMEOUT_MS,
  );
  if (!allReady || writers.some((state) => state.died !== undefined)) {
    for (const { child } of writers) child.kill('SIGKILL');
    await Promise.all(writers.map((state) => state.exited));
    const reason = writers.find((state) => state.died !== undefined)?.died ?? 'timed out';
    throw new Error(`the writers did not all open their stores: ${reason}`);
  }

  const recorder = new WindowRecorder(config.bucket, config.writers);
  let stopReason: StopReason | undefined;
  let drained = 0;
  let stopped!: () => void;
  const stop = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stopWith = (reason: StopReason): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopped();
  };

  for (const [writer, state] of writers.entries()) {
    state.child.on('message', (message: WriterMessage) => {
      if (message.kind === 'appended') {
        state.lastAppendedAt = recorder.elapsedSeconds;
        if (stopReason !== undefined) {
          drained += 1;
          return;
        }
        const window = recorder.appended(writer, message.ms);
        if (window !== undefined) progress(windowCells(window).join(' | '));
        if (recorder.commits >= config.commits) stopWith('target commit count');
      } else if (message.kind === 'failed') {
        if (stopReason === undefined) recorder.failed();
        if (recorder.failures <= 5) progress(`an append failed: ${message.error}`);
      }
    });
    state.child.on('exit', () => {
      if (state.died !== undefined) stopWith('a writer process failed');
    });
  }

  const limit = setTimeout(() => {
    stopWith('time limit');
  }, config.maxMs);
  const heartbeat = setInterval(() => {
    const current = recorder.currentRate();
    const now = recorder.elapsedSeconds;
    // A writer whose append never settles leaves the others to carry the figure: say so.
    const stalled = writers.flatMap((state, writer) =>
      now - state.lastAppendedAt > HEARTBEAT_MS / 1000
        ? [`writer ${writer} ${(now - state.lastAppendedAt).toFixed(0)} s`]
        : [],
    );
    progress(
      `${recorder.commits} commits after ${now.toFixed(0)} s; this window: ` +
        `${current.commits} commits in ${current.seconds.toFixed(0)} s` +
        (stalled.length === 0 ? '' : `; no append settled for ${stalled.join(', ')}`),
    );
  }, HEARTBEAT_MS);
  progress(
    `${config.writers} writers started on ${database}; stop at ${config.commits} commits or ${config.maxMs / 1000} s`,
  );
  for (const state of writers) tell(state, { kind: 'start' });

  await stop;
  clearTimeout(limit);
  clearInterval(heartbeat);
  const last = recorder.finish();
  if (last !== undefined) progress(windowCells(last).join(' | '));
  progress(`stopping (${stopReason ?? '?'}): waiting for appends in flight`);

  for (const state of live()) tell(state, { kind: 'stop' });
  const settled = await waitFor(
    writers,
    () => writers.every((state) => state.done !== undefined || state.died !== undefined),
    STOP_GRACE_MS,
  );
  if (!settled) {
    progress(`writers still busy ${STOP_GRACE_MS / 1000} s after the stop: killing them`);
    for (const state of writers) {
      if (state.done === undefined) state.child.kill('SIGKILL');
    }
  }
  await Promise.all(writers.map((state) => state.exited));
  return { recorder, stopReason: stopReason ?? 'a writer process failed', drained, writers };
}

/** The log's head position, read through the store itself, to check the count against. */
async function logHead(client: MongoClient, database: string): Promise<number> {
  const store = await MongoEventStore.open({ client, database });
  try {
    return await store.headPosition();
  } finally {
    await store.close();
  }
}

async function main(): Promise<number> {
  const config = readGrowthConfig();
  const startedAt = new Date();
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`;
  const code = sourceRevision();
  const client = new MongoClient(config.mongodbUri, { serverSelectionTimeoutMS: 3_000 });
  await client.connect();
  try {
    const server = await describeMongoServer(client);
    const database = freshDatabaseName('aman_growth');
    // The parent creates the collection and its indexes first, so the writers do not race to.
    await (await MongoEventStore.open({ client, database })).close();
    progress(`${server}; code ${code}`);

    let outcome: RunOutcome;
    try {
      outcome = await run(config, database);
    } catch (error) {
      await client.db(database).dropDatabase();
      throw error;
    }
    const { recorder, stopReason, drained, writers } = outcome;
    const headPosition = await logHead(client, database);
    if (config.keepDatabase) progress(`database kept: ${database}`);
    else await client.db(database).dropDatabase();

    const counted = recorder.commits + drained;
    const deaths = writers.flatMap((state) => (state.died === undefined ? [] : [state.died]));
    const failures = writers.reduce((sum, state) => sum + (state.done?.failures ?? 0), 0);
    const short = recorder.windows.filter(
      (window) => !window.partial && window.activeWriters < config.writers,
    );
    const problems = [
      ...deaths,
      ...(short.length === 0
        ? []
        : [
            `in ${short.length} of ${recorder.windows.length} windows (the first to ` +
              `${short[0]?.logSize ?? '?'} commits) not every writer stored a commit: ` +
              'those rates are not those of all the writers',
          ]),
      ...(failures > 0 ? [`${failures} appends failed`] : []),
      // Single-event commits: the head position is the number of commits in the log.
      ...(headPosition === counted
        ? []
        : [`the writers reported ${counted} commits but the log's head is at ${headPosition}`]),
    ];
    const heading =
      `Aman MongoEventStore growth bench${config.label === '' ? '' : ` (${config.label})`}, ` +
      `${startedAt.toISOString()}: node ${process.version}, ${machine}; ${server}; code ${code}`;
    const setup =
      `${config.writers} writer processes × ${config.inFlight} append(s) in flight, single-event ` +
      `commits, round robin over ${config.streamsPerWriter} streams per writer (a new stream ` +
      `every ${STREAM_LENGTH} events), expected versions tracked; windows of ${config.bucket} commits`;
    const lines = [
      heading,
      setup,
      '',
      renderWindows(recorder.windows),
      '',
      `stopped by the ${stopReason} after ${recorder.elapsedSeconds.toFixed(0)} s at ` +
        `${recorder.commits} commits (+${drained} in flight at the stop); log head ${headPosition}`,
      flatness(recorder.windows),
      ...problems.map((problem) => `PROBLEM: ${problem}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    const file = writeResultFile(`growth-${timestamp(startedAt)}`, {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      label: config.label,
      environment: { node: process.version, platform: process.platform, machine, mongodb: server },
      code,
      config: { ...config, mongodbUri: undefined, streamLength: STREAM_LENGTH },
      ...(config.keepDatabase ? { database } : {}),
      stopReason,
      commits: recorder.commits,
      drained,
      headPosition,
      windows: recorder.windows,
      writers: writers.map((state, writer) => ({
        writer,
        lastAppendedAtSeconds: state.lastAppendedAt,
        ...(state.done === undefined
          ? { died: state.died ?? 'killed' }
          : {
              appended: state.done.appended,
              failures: state.done.failures,
              ...(state.done.firstError === undefined ? {} : { firstError: state.done.firstError }),
            }),
      })),
      problems,
    });
    process.stdout.write(`\nresults written to ${file}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench:growth failed: ${error instanceof Error ? (error.stack ?? error.message) : describeError(error)}\n`,
    );
    process.exit(1);
  },
);

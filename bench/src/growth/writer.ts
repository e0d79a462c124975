// A writer process of the growth bench (growth.ts): its own MongoClient and MongoEventStore on the
// shared database, appending single-event commits to its own streams as fast as the store lets it,
// one IPC message per commit. Separate processes, not writers in one process, because one store
// groups its own appends into one insert and keeps its own caches: the contention under test is
// between stores that know nothing of each other's writes, as between service replicas.
import { performance } from 'node:perf_hooks';

import { MongoClient } from 'mongodb';

import { MongoEventStore } from '@aman/eventstore';

import { describeError } from '../measure.ts';
import { BENCH_EVENT, STREAM_LENGTH } from '../workload.ts';
import type { ParentMessage, WriterArguments, WriterMessage } from './protocol.ts';

const [argument] = process.argv.slice(2);
if (process.send === undefined || argument === undefined) {
  throw new Error('usage: fork growth/writer.js <WriterArguments as JSON> with an IPC channel');
}
const args = JSON.parse(argument) as WriterArguments;

function tell(message: WriterMessage): void {
  process.send?.(message);
}

/** One of the writer's streams, at the version its last successful append left it. */
interface Slot {
  stream: string;
  version: number;
}

let streamsStarted = 0;

function newStream(): Slot {
  streamsStarted += 1;
  return { stream: `growth-${args.writer}-${streamsStarted}`, version: 0 };
}

const client = new MongoClient(args.mongodbUri);
const store = await MongoEventStore.open({ client, database: args.database });
const slots = Array.from({ length: args.streams }, newStream);

let stopping = false;
let appended = 0;
let failures = 0;
let firstError: string | undefined;

/** The append each lane is waiting for, to name it when one does not settle after the stop. */
const waiting = new Map<number, { readonly append: string; readonly since: number }>();

/**
 * Appends round robin over the lane's slots with a tracked expected version, as a service appends
 * after loading its aggregate. A stream that reaches STREAM_LENGTH is replaced by a new one, so the
 * store also meets streams it has no cached head for (one append in STREAM_LENGTH). After a
 * failure the stream's version is unknown (the append may have been stored), so the slot moves on
 * to a new stream rather than reading the version back.
 */
async function lane(first: number): Promise<void> {
  // Lanes own disjoint slots: two appends in flight on one stream would race for one version.
  const owned = slots.filter((_, index) => index % args.inFlight === first);
  for (let turn = 0; !stopping; turn += 1) {
    const slot = owned[turn % owned.length];
    if (slot === undefined) return;
    waiting.set(first, { append: `${slot.stream} at version ${slot.version}`, since: Date.now() });
    const started = performance.now();
    try {
      await store.append(slot.stream, [BENCH_EVENT], { expectedVersion: slot.version });
      slot.version += 1;
      appended += 1;
      tell({ kind: 'appended', ms: performance.now() - started });
    } catch (error) {
      failures += 1;
      firstError ??= describeError(error);
      tell({ kind: 'failed', error: describeError(error) });
      Object.assign(slot, newStream());
      continue;
    }
    if (slot.version >= STREAM_LENGTH) Object.assign(slot, newStream());
  }
}

let lanes: Promise<unknown> | undefined;

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'start') {
    lanes ??= Promise.all(Array.from({ length: args.inFlight }, (_, first) => lane(first)));
    return;
  }
  stopping = true;
  // The parent keeps the end of this output: it says what a writer killed after the stop was doing.
  let closing = false;
  const report = setInterval(() => {
    if (closing) process.stderr.write(`writer ${args.writer}: closing its store and client\n`);
    for (const [lane, { append, since }] of closing ? [] : waiting) {
      const seconds = ((Date.now() - since) / 1000).toFixed(0);
      process.stderr.write(
        `writer ${args.writer} lane ${lane}: append to ${append}, ${seconds} s\n`,
      );
    }
  }, 30_000);
  void (async () => {
    await lanes;
    closing = true;
    await store.close();
    await client.close();
    clearInterval(report);
    tell({ kind: 'done', appended, failures, ...(firstError === undefined ? {} : { firstError }) });
    process.disconnect();
  })();
});

// A parent that is gone cannot stop this writer: end rather than append forever.
process.on('disconnect', () => {
  if (!stopping) process.exit(1);
});

tell({ kind: 'ready' });

/**
 * A writer process that stops dead in the middle of one append, for crash tests: after the ids are
 * reserved (MongoDB) or after the rows are written but before COMMIT (SQLite), it writes the
 * marker file and blocks until the test kills it with SIGKILL.
 * Usage: crashingWriter.ts <marker> <stream> <events-json> sqlite <path>
 *        crashingWriter.ts <marker> <stream> <events-json> mongodb <uri> <database>
 */
import { writeFileSync } from 'node:fs';

import { MongoClient } from 'mongodb';

import { MongoEventStore } from '../mongodb/mongoEventStore.ts';
import { SqliteEventStore } from '../sqlite/sqliteEventStore.ts';
import type { EventStore, NewEvent } from '../types.ts';

const [marker, stream, eventsJson, adapter, location, database] = process.argv.slice(2);
if (marker === undefined || stream === undefined || eventsJson === undefined) {
  throw new Error('usage: crashingWriter.ts <marker> <stream> <events-json> <adapter> ...');
}
const events = JSON.parse(eventsJson) as NewEvent[];

/** Blocks the whole process: nothing after this point runs, as if the machine had stopped. */
function stopHere(): never {
  writeFileSync(marker ?? '', 'stopped');
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

let store: EventStore;
if (adapter === 'sqlite' && location !== undefined) {
  store = new SqliteEventStore({ path: location, beforeCommit: stopHere });
} else if (adapter === 'mongodb' && location !== undefined && database !== undefined) {
  const client = new MongoClient(location);
  store = await MongoEventStore.open({
    client,
    database,
    afterReserve: () => Promise.resolve(stopHere()),
  });
} else {
  throw new Error(`unknown adapter ${String(adapter)}`);
}
await store.append(stream, events, { expectedVersion: 'any' });
throw new Error('the append finished: the crash hook did not run');

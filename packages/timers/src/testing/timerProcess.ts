/**
 * A runner process for crash tests: fires the store's due timers with a handler that, on its
 * first firing, writes the firing and the time to the marker file and then blocks the whole
 * process until the test kills it with SIGKILL: claimed, never recorded as done.
 * Usage: timerProcess.ts <marker> <leaseMs> sqlite <path>
 *        timerProcess.ts <marker> <leaseMs> mongodb <uri> <database> <collection>
 */
import { writeFileSync } from 'node:fs';

import { MongoClient } from 'mongodb';

import { MongoTimerStore } from '../mongodb/mongoTimerStore.ts';
import { TimerRunner } from '../runner.ts';
import { SqliteTimerStore } from '../sqlite/sqliteTimerStore.ts';
import type { TimerStore } from '../timers.ts';

const [marker, leaseMs, adapter, location, database, collection] = process.argv.slice(2);
if (marker === undefined || leaseMs === undefined) {
  throw new Error('usage: timerProcess.ts <marker> <leaseMs> <adapter> ...');
}

let store: TimerStore;
if (adapter === 'sqlite' && location !== undefined) {
  store = new SqliteTimerStore({ path: location });
} else if (adapter === 'mongodb' && location !== undefined && database !== undefined) {
  store = await MongoTimerStore.open({
    client: new MongoClient(location),
    database,
    ...(collection === undefined ? {} : { collection }),
  });
} else {
  throw new Error(`unknown adapter ${String(adapter)}`);
}

const runner = new TimerRunner({
  store,
  leaseMs: Number(leaseMs),
  pollMs: 20,
  handle: ({ timer, attempt }) => {
    writeFileSync(marker, JSON.stringify({ id: timer.id, attempt, at: Date.now() }));
    // Nothing after this runs, as if the machine had stopped.
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
});
runner.start();

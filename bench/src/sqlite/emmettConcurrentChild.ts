// Child process of the bench: 50 concurrent writers on one Emmett SQLite store (see emmett.ts for
// why this runs apart). Sends one Measured message to the parent and exits.
import { concurrentAppends, warmUp } from '../workload.ts';
import { emmettSqlite } from './emmett.ts';

const [durationMs, settleMs] = process.argv.slice(2).map(Number);
if (durationMs === undefined || settleMs === undefined || process.send === undefined) {
  throw new Error(
    'usage: fork emmettConcurrentChild.js <durationMs> <settleMs> with an IPC channel',
  );
}

const opened = await emmettSqlite.open();
await warmUp(opened.store);
const durability = await opened.durability();
const sample = await concurrentAppends(opened.store, { durationMs, settleMs });
await opened.dispose();
// Appends that never settled keep native work pending and the process from ending by itself: the
// parent kills it once it has the result.
process.send({ sample, durability });

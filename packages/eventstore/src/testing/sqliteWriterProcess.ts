/**
 * A writer process for the multi-process tailing test: appends `count` appends of 1–3 events to
 * the given streams of the SQLite store at `path`, round-robin, then exits.
 * Usage: sqliteWriterProcess.ts <path> <writer> <count> <stream,stream,...>
 * With WRITER_EVENT=probe it writes `PipelineProbe` events (the type bus tests publish).
 */
import { SqliteEventStore } from '../sqlite/sqliteEventStore.ts';

const [path, writerArg, countArg, streamsArg] = process.argv.slice(2);
if (path === undefined || writerArg === undefined || countArg === undefined || !streamsArg) {
  throw new Error('usage: sqliteWriterProcess.ts <path> <writer> <count> <streams>');
}
const writer = Number(writerArg);
const count = Number(countArg);
const streams = streamsArg.split(',');
const probes = process.env['WRITER_EVENT'] === 'probe';
const store = new SqliteEventStore({ path });
for (let i = 0; i < count; i += 1) {
  const stream = streams[(writer * 7 + i) % streams.length] ?? '';
  await store.append(
    stream,
    Array.from({ length: 1 + (i % 3) }, (_, k) => ({
      type: probes ? 'PipelineProbe' : 'Tick',
      schemaVersion: 1,
      data: probes
        ? {
            probeId: `p-${writer}-${i}-${k}`,
            sentAt: new Date().toISOString(),
            note: `${writer}:${i}:${k}`,
          }
        : { writer, i, k },
      metadata: {
        actor: { organisationId: 'org-test', principalId: `writer-${writer}` },
        correlationId: 'c',
      },
    })),
    { expectedVersion: 'any' },
  );
}
await store.close();

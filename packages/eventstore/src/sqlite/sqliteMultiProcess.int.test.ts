import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { exited, spawnTypeScript } from '../testing/processes.ts';
import { tailConcurrentWriters } from '../testing/tailing.ts';
import { SqliteEventStore } from './sqliteEventStore.ts';

describe('SQLite event store across processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-es-mp-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('never lets a reader in one process skip an event that writer processes commit late', async () => {
    const path = join(dir, 'events.db');
    const reader = new SqliteEventStore({ path });
    const streams = Array.from({ length: 10 }, (_, i) => `case-mp-${i}`);
    const writers = 4;
    const appendsPerWriter = 60;
    try {
      const writing = Promise.all(
        Array.from({ length: writers }, (_, w) =>
          exited(
            spawnTypeScript('packages/eventstore/src/testing/sqliteWriterProcess.ts', [
              path,
              String(w),
              String(appendsPerWriter),
              streams.join(','),
            ]),
          ),
        ),
      );
      const report = await tailConcurrentWriters(reader, writing, { pageSize: 7 });

      expect(report.anomalies).toEqual([]);
      const eventsPerWriter = Array.from(
        { length: appendsPerWriter },
        (_, i) => 1 + (i % 3),
      ).reduce((sum, size) => sum + size);
      expect(report.seen).toHaveLength(writers * eventsPerWriter);
      expect(new Set(report.seen.map((e) => e.id)).size).toBe(report.seen.length);
      const lastVersion = new Map<string, number>();
      for (const event of report.seen) {
        expect(event.version).toBe((lastVersion.get(event.stream) ?? 0) + 1);
        lastVersion.set(event.stream, event.version);
      }
      for (const stream of streams) expect((await reader.verify(stream)).ok).toBe(true);
    } finally {
      await reader.close();
    }
  });
});

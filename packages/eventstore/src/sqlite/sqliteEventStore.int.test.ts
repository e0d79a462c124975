import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';

import { killMidAppend } from '../testing/crash.ts';
import { eventStoreContract } from '../testing/eventStoreContract.ts';
import type { NewEvent } from '../types.ts';
import { uuidv7 } from '../uuid.ts';
import { SqliteEventStore } from './sqliteEventStore.ts';

eventStoreContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-es-'));
  const path = join(dir, 'events.db');
  // Behind the store's back, as an attacker with disk access would.
  const behindTheStore = (sql: string, ...params: (string | number)[]): Promise<void> => {
    const db = new Database(path);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    return Promise.resolve();
  };
  return Promise.resolve({
    open: (options) => Promise.resolve(new SqliteEventStore({ path, ...options })),
    tamper: (stream, version, data) =>
      behindTheStore(
        'UPDATE events SET data = ? WHERE stream = ? AND version = ?',
        data,
        stream,
        version,
      ),
    remove: (position) => behindTheStore('DELETE FROM events WHERE position = ?', position),
    swapPositions: async (a, b) => {
      await behindTheStore('UPDATE events SET position = -1 WHERE position = ?', a);
      await behindTheStore('UPDATE events SET position = ? WHERE position = ?', a, b);
      await behindTheStore('UPDATE events SET position = ? WHERE position = -1', b);
    },
    killMidAppend: (stream, events) => killMidAppend(['sqlite', path], stream, events),
    reservesIds: false,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describe('SQLite group commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-es-gc-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const event = (id?: string): NewEvent => ({
    ...(id === undefined ? {} : { id }),
    type: 'NoteAdded',
    schemaVersion: 1,
    data: {},
    metadata: { actor: { organisationId: 'org', principalId: 'p' }, correlationId: 'c' },
  });

  it('fails only the append whose insert fails half-way, and stores none of it', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'events.db') });
    try {
      const taken = uuidv7();
      await store.append('case-owner', [event(taken)], { expectedVersion: 'no_stream' });
      // Issued in one turn of the event loop: one batch, one transaction.
      const [before, clash, after] = await Promise.allSettled([
        store.append('case-a', [event()], { expectedVersion: 'no_stream' }),
        // Its first event is new, its second reuses an id: the insert fails after one row.
        store.append('case-b', [event(), event(taken)], { expectedVersion: 'no_stream' }),
        store.append('case-c', [event()], { expectedVersion: 'no_stream' }),
      ]);
      expect(before.status).toBe('fulfilled');
      expect(after.status).toBe('fulfilled');
      expect(clash).toMatchObject({
        status: 'rejected',
        reason: { code: 'AMAN_ERR_IDEMPOTENCY_CONFLICT' },
      });
      expect(await store.streamVersion('case-b')).toBeUndefined();
      expect((await store.readAll()).map((e) => e.stream)).toEqual([
        'case-owner',
        'case-a',
        'case-c',
      ]);
    } finally {
      await store.close();
    }
  });
});

import { describe, expect, it, afterAll, beforeAll } from '@jest/globals';

import { AmanError, ConcurrencyError } from '@aman/errors';

import { GENESIS_HASH } from '../records.ts';
import type { EventStore, NewEvent } from '../types.ts';
import type { UpcasterRegistry } from '../upcasting.ts';
import { uuidv7 } from '../uuid.ts';
import { tailConcurrentWriters } from './tailing.ts';

/** What a contract run needs from an adapter's test file. */
export interface EventStoreHarness {
  /** A new store instance over the same storage — as another process would open it. */
  open(options?: { readonly upcasters?: UpcasterRegistry }): Promise<EventStore>;
  /** Changes one stored event's data behind the store's back, as an attacker with disk access would. */
  tamper(stream: string, version: number, data: string): Promise<void>;
  dispose(): Promise<void>;
}

const actor = { organisationId: 'org-ngo-1', principalId: 'key-1' };

function event(type: string, data: Record<string, unknown> = {}, id?: string): NewEvent {
  return {
    ...(id === undefined ? {} : { id }),
    type,
    schemaVersion: 1,
    data: data as NewEvent['data'],
    metadata: { actor, correlationId: 'corr-1' },
  };
}

let streamCounter = 0;
function newStream(label: string): string {
  streamCounter += 1;
  return `case-${label}-${streamCounter}-${uuidv7().slice(-8)}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The behaviour every EventStore adapter must have. */
export function eventStoreContract(name: string, harness: () => Promise<EventStoreHarness>): void {
  describe(`EventStore contract: ${name}`, () => {
    let h: EventStoreHarness;
    let store: EventStore;

    beforeAll(async () => {
      h = await harness();
      store = await h.open();
    });

    afterAll(async () => {
      await store.close();
      await h.dispose();
    });

    describe('append and read a stream', () => {
      it('numbers a new stream from 1 and chains hashes from the genesis hash', async () => {
        const stream = newStream('new');
        const result = await store.append(
          stream,
          [event('CaseSubmitted', { province: 'P-07' }), event('ConsentRecorded', { scope: 'x' })],
          { expectedVersion: 'no_stream' },
        );
        expect(result.version).toBe(2);
        const [first, second] = result.events;
        expect(first?.version).toBe(1);
        expect(first?.previousHash).toBe(GENESIS_HASH);
        expect(second?.previousHash).toBe(first?.hash);
        expect(first?.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(second?.position).toBe((first?.position ?? 0) + 1);
        expect(result.position).toBe(second?.position);

        const read = await store.readStream(stream);
        expect(read).toEqual(result.events);
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('keeps every field of an event, with data and metadata exactly as given', async () => {
        const stream = newStream('fields');
        const id = uuidv7();
        const occurredAt = new Date('2026-03-04T05:06:07.089Z');
        const data = {
          text: 'ملاحظة — note ✓',
          nested: { list: [1, 2.5, -3, true, null, 'x'], empty: {} },
          zero: 0,
        };
        await store.append(
          stream,
          [
            {
              id,
              type: 'IncidentReported',
              schemaVersion: 3,
              data,
              occurredAt,
              metadata: {
                actor,
                correlationId: 'corr-fields',
                causationId: 'cmd-77',
                traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
                dataKeyId: 'dk-123',
              },
            },
          ],
          { expectedVersion: 'no_stream' },
        );
        const [stored] = await store.readStream(stream);
        expect(stored).toMatchObject({
          id,
          stream,
          version: 1,
          type: 'IncidentReported',
          schemaVersion: 3,
          data,
          occurredAt: occurredAt.toISOString(),
          metadata: {
            actor,
            correlationId: 'corr-fields',
            causationId: 'cmd-77',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            dataKeyId: 'dk-123',
          },
        });
        expect(Date.parse(stored?.recordedAt ?? '')).not.toBeNaN();
        expect(stored?.id).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('reads from a version and up to a count', async () => {
        const stream = newStream('range');
        await store.append(
          stream,
          Array.from({ length: 5 }, (_, i) => event('NoteAdded', { i })),
          { expectedVersion: 'no_stream' },
        );
        const middle = await store.readStream(stream, { fromVersion: 2, maxCount: 3 });
        expect(middle.map((e) => e.version)).toEqual([2, 3, 4]);
        expect(middle.map((e) => e.data['i'])).toEqual([1, 2, 3]);
        expect(await store.readStream(stream, { fromVersion: 6 })).toEqual([]);
      });

      it('reports a missing stream as undefined and empty', async () => {
        const stream = newStream('missing');
        expect(await store.streamVersion(stream)).toBeUndefined();
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.verify(stream)).toMatchObject({ ok: true, eventsChecked: 0 });
      });
    });

    describe('expected version', () => {
      it('appends at the exact version and rejects any other with a typed ConcurrencyError', async () => {
        const stream = newStream('exact');
        await store.append(stream, [event('A')], { expectedVersion: 'no_stream' });
        await store.append(stream, [event('B')], { expectedVersion: 1 });
        const error = await rejection(store.append(stream, [event('C')], { expectedVersion: 1 }));
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ code: 'AMAN_ERR_CONCURRENCY', expected: '1', actual: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('rejects no_stream for an existing stream and a version for a missing one', async () => {
        const stream = newStream('nostream');
        await store.append(stream, [event('A')], { expectedVersion: 'no_stream' });
        await expect(
          store.append(stream, [event('B')], { expectedVersion: 'no_stream' }),
        ).rejects.toMatchObject({ code: 'AMAN_ERR_CONCURRENCY', actual: 1 });
        await expect(
          store.append(newStream('ghost'), [event('B')], { expectedVersion: 3 }),
        ).rejects.toMatchObject({ code: 'AMAN_ERR_CONCURRENCY', actual: undefined });
      });

      it('appends with any whatever the version', async () => {
        const stream = newStream('any');
        await store.append(stream, [event('A')], { expectedVersion: 'any' });
        const result = await store.append(stream, [event('B'), event('C')], {
          expectedVersion: 'any',
        });
        expect(result.version).toBe(3);
      });

      it('lets exactly one of many racing writers win, from separate store instances', async () => {
        const stream = newStream('race');
        await store.append(stream, [event('Opened')], { expectedVersion: 'no_stream' });
        const rivals = await Promise.all(Array.from({ length: 6 }, () => h.open()));
        try {
          const outcomes = await Promise.allSettled(
            rivals.flatMap((rival, r) =>
              [0, 1].map((k) =>
                rival.append(stream, [event('Assessed', { r, k })], { expectedVersion: 1 }),
              ),
            ),
          );
          const won = outcomes.filter((o) => o.status === 'fulfilled');
          const lost = outcomes.flatMap((o): unknown[] =>
            o.status === 'rejected' ? [o.reason] : [],
          );
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(11);
          for (const reason of lost) {
            expect(reason).toBeInstanceOf(ConcurrencyError);
            expect(reason).toMatchObject({ expected: '1', actual: 2 });
          }
          expect(await store.readStream(stream)).toHaveLength(2);
          expect((await store.verify(stream)).ok).toBe(true);
        } finally {
          await Promise.all(rivals.map((rival) => rival.close()));
        }
      });
    });

    describe('idempotency', () => {
      it('returns the first result when an append is retried with the same event ids', async () => {
        const stream = newStream('retry');
        const events = [event('A', {}, uuidv7()), event('B', {}, uuidv7())];
        const first = await store.append(stream, events, { expectedVersion: 'no_stream' });
        const headAfterFirst = await store.headPosition();
        const again = await store.append(stream, events, { expectedVersion: 'no_stream' });
        const anyAgain = await store.append(stream, events, { expectedVersion: 'any' });
        expect(again).toEqual(first);
        expect(anyAgain).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.headPosition()).toBe(headAfterFirst);
      });

      it('rejects an append whose first id belongs to another stream', async () => {
        const id = uuidv7();
        await store.append(newStream('owner'), [event('A', {}, id)], { expectedVersion: 'any' });
        const other = newStream('thief');
        await expect(
          store.append(other, [event('A', {}, id)], { expectedVersion: 'any' }),
        ).rejects.toMatchObject({ code: 'AMAN_ERR_VALIDATION' });
        expect(await store.streamVersion(other)).toBeUndefined();
      });
    });

    describe('bad input', () => {
      const cases: [string, () => Promise<unknown>][] = [
        ['an empty stream name', () => store.append('', [event('A')], { expectedVersion: 'any' })],
        [
          'a stream name with an operator',
          () => store.append('{"$gt":""}', [event('A')], { expectedVersion: 'any' }),
        ],
        ['no events', () => store.append(newStream('bad'), [], { expectedVersion: 'any' })],
        [
          'a negative expected version',
          () => store.append(newStream('bad'), [event('A')], { expectedVersion: -1 }),
        ],
        [
          'data that is not JSON',
          () =>
            store.append(newStream('bad'), [event('A', { when: new Date() })], {
              expectedVersion: 'any',
            }),
        ],
        [
          'a NaN in data',
          () =>
            store.append(newStream('bad'), [event('A', { score: Number.NaN })], {
              expectedVersion: 'any',
            }),
        ],
        [
          'a malformed traceparent',
          () =>
            store.append(
              newStream('bad'),
              [{ ...event('A'), metadata: { actor, correlationId: 'c', traceparent: 'nope' } }],
              { expectedVersion: 'any' },
            ),
        ],
        [
          'a missing actor',
          () =>
            store.append(
              newStream('bad'),
              [{ ...event('A'), metadata: { correlationId: 'c' } as NewEvent['metadata'] }],
              { expectedVersion: 'any' },
            ),
        ],
        [
          'an event id that is not a UUID',
          () => store.append(newStream('bad'), [event('A', {}, 'x')], { expectedVersion: 'any' }),
        ],
        [
          'a repeated event id within an append',
          () => {
            const id = uuidv7();
            return store.append(newStream('bad'), [event('A', {}, id), event('B', {}, id)], {
              expectedVersion: 'any',
            });
          },
        ],
        [
          'an array with a hole in data',
          () =>
            // eslint-disable-next-line no-sparse-arrays -- the hole is the point
            store.append(newStream('bad'), [event('A', { list: [1, , 2] })], {
              expectedVersion: 'any',
            }),
        ],
        [
          'a stream that is not a string',
          () => store.append(null as unknown as string, [event('A')], { expectedVersion: 'any' }),
        ],
        [
          'an event that is null',
          () =>
            store.append(newStream('bad'), [null as unknown as NewEvent], {
              expectedVersion: 'any',
            }),
        ],
        [
          'data too large for one event',
          () =>
            store.append(newStream('bad'), [event('A', { blob: 'x'.repeat(300 * 1024) })], {
              expectedVersion: 'any',
            }),
        ],
      ];

      it.each(cases)('rejects %s with a validation error and stores nothing', async (_, act) => {
        const head = await store.headPosition();
        const error = await rejection(act());
        expect(AmanError.is(error, 'AMAN_ERR_VALIDATION')).toBe(true);
        expect(await store.headPosition()).toBe(head);
      });

      it.each([
        ['an operator as stream name', () => store.readStream({ $ne: null } as unknown as string)],
        ['a negative limit', () => store.readAll({ limit: -5 })],
        ['a zero limit', () => store.readAll({ limit: 0 })],
        ['a fractional position', () => store.readAll({ after: 1.5 })],
        ['version 0', () => store.readStream('case-x', { fromVersion: 0 })],
        ['an operator to verify', () => store.verify({ $gt: '' } as unknown as string)],
        ['an operator for a version', () => store.streamVersion({ $gt: '' } as unknown as string)],
      ])('rejects a read with %s', async (_, act) => {
        const error = await rejection(act());
        expect(AmanError.is(error, 'AMAN_ERR_VALIDATION')).toBe(true);
      });

      it('does not echo the offending value in the error message', async () => {
        const error = await rejection(
          store.append(
            newStream('leak'),
            [event('A', { name: 'Canary Person', 'canary@example.org': { n: Infinity } })],
            { expectedVersion: 'any' },
          ),
        );
        expect(AmanError.is(error, 'AMAN_ERR_VALIDATION')).toBe(true);
        expect((error as Error).message).not.toMatch(/canary/i);
      });
    });

    describe('global order', () => {
      it('reads all events by dense, increasing global position', async () => {
        const start = await store.headPosition();
        const streams = [newStream('g1'), newStream('g2')];
        for (let i = 0; i < 4; i += 1) {
          await store.append(streams[i % 2] ?? '', [event('Tick', { i })], {
            expectedVersion: 'any',
          });
        }
        const page = await store.readAll({ after: start, limit: 3 });
        expect(page.map((e) => e.position)).toEqual([start + 1, start + 2, start + 3]);
        const rest = await store.readAll({ after: start + 3 });
        expect(rest.map((e) => e.data['i'])).toEqual([3]);
        expect(await store.headPosition()).toBe(start + 4);
      });

      it('never lets a tailing reader skip an event while many writers commit', async () => {
        const writers = await Promise.all(Array.from({ length: 4 }, () => h.open()));
        const reader = await h.open();
        const start = await reader.headPosition();
        const streams = Array.from({ length: 12 }, (_, i) => newStream(`tail${i}`));
        const perWriter = 40;
        try {
          const writing = Promise.all(
            writers.map(async (writer, w) => {
              for (let i = 0; i < perWriter; i += 1) {
                const stream = streams[(w * 7 + i) % streams.length] ?? '';
                const size = 1 + (i % 3);
                await writer.append(
                  stream,
                  Array.from({ length: size }, (_, k) => event('Tick', { w, i, k })),
                  { expectedVersion: 'any' },
                );
              }
            }),
          );
          const report = await tailConcurrentWriters(reader, writing, { after: start });
          expect(report.anomalies).toEqual([]);
          const ids = report.seen.map((e) => e.id);
          expect(new Set(ids).size).toBe(ids.length);
          const eventsPerWriter = Array.from({ length: perWriter }, (_, i) => 1 + (i % 3)).reduce(
            (sum, size) => sum + size,
          );
          const ours = report.seen.filter((e) => streams.includes(e.stream));
          expect(ours).toHaveLength(writers.length * eventsPerWriter);
          // Per-stream order: versions arrive 1, 2, 3… for every stream.
          const lastVersion = new Map<string, number>();
          for (const e of ours) {
            expect(e.version).toBe((lastVersion.get(e.stream) ?? 0) + 1);
            lastVersion.set(e.stream, e.version);
          }
          for (const stream of streams) expect((await reader.verify(stream)).ok).toBe(true);
        } finally {
          await Promise.all([...writers, reader].map((s) => s.close()));
        }
        // FerretDB answers every poll with a collection scan: on a busy two-core machine this
        // takes tens of seconds there (milliseconds on SQLite).
      }, 180_000);
    });

    describe('integrity', () => {
      it('verifies an untouched stream and finds the first tampered event', async () => {
        const stream = newStream('tamper');
        await store.append(
          stream,
          [event('A', { n: 1 }), event('B', { n: 2 }), event('C', { n: 3 })],
          { expectedVersion: 'no_stream' },
        );
        expect(await store.verify(stream)).toEqual({ stream, ok: true, eventsChecked: 3 });
        await h.tamper(stream, 2, '{"n":20}');
        expect(await store.verify(stream)).toMatchObject({
          ok: false,
          brokenAtVersion: 2,
          eventsChecked: 1,
        });
      });
    });

    describe('upcasting', () => {
      it('reads old events in the newest shape without rewriting what is stored', async () => {
        const stream = newStream('upcast');
        await store.append(
          stream,
          [{ ...event('RiskAssessed', { level: 'HIGH' }), schemaVersion: 1 }],
          { expectedVersion: 'no_stream' },
        );
        const upcasters: UpcasterRegistry = {
          RiskAssessed: {
            1: (data) => {
              const level = data['level'];
              return {
                data: { ...data, level: typeof level === 'string' ? level.toLowerCase() : '' },
              };
            },
            2: (data) => ({ data: { ...data, methodology: 'fld-2011' } }),
          },
        };
        const reader = await h.open({ upcasters });
        try {
          const [read] = await reader.readStream(stream);
          expect(read).toMatchObject({
            type: 'RiskAssessed',
            schemaVersion: 3,
            data: { level: 'high', methodology: 'fld-2011' },
          });
          const [raw] = await store.readStream(stream);
          expect(raw).toMatchObject({ schemaVersion: 1, data: { level: 'HIGH' } });
          expect((await reader.verify(stream)).ok).toBe(true);
        } finally {
          await reader.close();
        }
      });
    });
  });
}

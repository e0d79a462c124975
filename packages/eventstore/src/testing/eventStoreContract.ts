import { describe, expect, it, afterAll, beforeAll } from '@jest/globals';

import { ConcurrencyError, IllegalStateError } from '@aman/errors';
import { expectAmanError } from '@aman/testing';

import type { Decider } from '../commands/decider.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { GENESIS_HASH } from '../records.ts';
import type { EventStore, NewEvent, StreamHead } from '../types.ts';
import type { UpcasterRegistry } from '../upcasting.ts';
import { uuidv7 } from '../uuid.ts';
import { tailConcurrentWriters } from './tailing.ts';

/** What a contract run needs from an adapter's test file. */
export interface EventStoreHarness {
  /** A new store instance over the same storage — as another process would open it. */
  open(options?: {
    readonly upcasters?: UpcasterRegistry;
    readonly holeGraceMs?: number;
  }): Promise<EventStore>;
  /** Changes one stored event's data behind the store's back, as an attacker with disk access would. */
  tamper(stream: string, version: number, data: string): Promise<void>;
  /** Deletes the event at `position` (appended alone) behind the store's back. */
  remove(position: number): Promise<void>;
  /** Swaps the positions of two events (each appended alone) behind the store's back. */
  swapPositions(a: number, b: number): Promise<void>;
  /** Runs this append in a writer process and SIGKILLs it half-way through the append. */
  killMidAppend(stream: string, events: readonly NewEvent[]): Promise<void>;
  /** Event ids are reserved before the commit, so a crashed append still holds them. */
  readonly reservesIds: boolean;
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

/**
 * Polls `read` as a tailing reader would, and rejects with its first failure; resolves (which
 * expectAmanError reports) when it has not failed after `timeoutMs`.
 */
async function untilReadFails(read: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() <= deadline) {
    await read();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A tiny aggregate for the command-handler tests: a tally that may be closed. */
type TallyEvent =
  | { readonly type: 'Counted'; readonly data: { readonly by: number } }
  | { readonly type: 'Closed'; readonly data: { readonly total: number } };
type TallyCommand = { readonly kind: 'count'; readonly by: number } | { readonly kind: 'close' };
interface Tally {
  readonly total: number;
  readonly closed: boolean;
}
const tally: Decider<Tally, TallyCommand, TallyEvent> = {
  initialState: () => ({ total: 0, closed: false }),
  decide: (command, state) => {
    if (state.closed) throw new IllegalStateError('the tally is closed');
    if (command.kind === 'close') return { type: 'Closed', data: { total: state.total } };
    return command.by === 0 ? [] : [{ type: 'Counted', data: { by: command.by } }];
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'Counted':
        return { ...state, total: state.total + event.data.by };
      case 'Closed':
        return { ...state, closed: true };
    }
  },
};

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
        const middle = await store.readStream(stream, { fromVersion: 2, limit: 3 });
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
        const error = await expectAmanError(
          store.append(stream, [event('C')], { expectedVersion: 1 }),
          'AMAN_ERR_CONCURRENCY',
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ expected: 1, actual: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('rejects no_stream for an existing stream and a version for a missing one', async () => {
        const stream = newStream('nostream');
        await store.append(stream, [event('A')], { expectedVersion: 'no_stream' });
        const exists = await expectAmanError(
          store.append(stream, [event('B')], { expectedVersion: 'no_stream' }),
          'AMAN_ERR_CONCURRENCY',
        );
        expect(exists).toMatchObject({ actual: 1 });
        const missing = await expectAmanError(
          store.append(newStream('ghost'), [event('B')], { expectedVersion: 3 }),
          'AMAN_ERR_CONCURRENCY',
        );
        expect(missing).toMatchObject({ actual: undefined });
      });

      it('takes expected version 0 as a new stream, also in an instance that never saw it', async () => {
        // A command handler that read no events appends at version 0; the MongoDB adapter does
        // not look such a stream up first, so the existing stream must be caught on insert.
        const stream = newStream('zero');
        await store.append(stream, [event('A')], { expectedVersion: 0 });
        const other = await h.open();
        try {
          const error = await expectAmanError(
            other.append(stream, [event('B')], { expectedVersion: 0 }),
            'AMAN_ERR_CONCURRENCY',
          );
          expect(error).toMatchObject({ expected: 0, actual: 1 });
        } finally {
          await other.close();
        }
        expect(await store.readStream(stream)).toHaveLength(1);
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
            expect(reason).toMatchObject({ expected: 1, actual: 2 });
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

      it('returns the first result to a retry from a new request (new trace, no occurredAt)', async () => {
        const stream = newStream('retry-trace');
        const events = [event('A', { n: 1 }, uuidv7())];
        const first = await store.append(stream, events, { expectedVersion: 'no_stream' });
        const traced = events.map((e) => ({
          ...e,
          metadata: {
            ...e.metadata,
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        }));
        expect(await store.append(stream, traced, { expectedVersion: 'no_stream' })).toEqual(first);
      });

      const variants: [string, (e: NewEvent) => NewEvent][] = [
        ['type', (e) => ({ ...e, type: 'Other' })],
        ['data', (e) => ({ ...e, data: { n: 2 } })],
        ['schema version', (e) => ({ ...e, schemaVersion: 2 })],
        [
          'actor',
          (e) => ({ ...e, metadata: { ...e.metadata, actor: { ...actor, principalId: 'key-2' } } }),
        ],
        [
          'organisation',
          (e) => ({
            ...e,
            metadata: { ...e.metadata, actor: { ...actor, organisationId: 'org-ngo-2' } },
          }),
        ],
        ['correlation', (e) => ({ ...e, metadata: { ...e.metadata, correlationId: 'corr-2' } })],
        ['causation', (e) => ({ ...e, metadata: { ...e.metadata, causationId: 'cmd-2' } })],
        ['data key', (e) => ({ ...e, metadata: { ...e.metadata, dataKeyId: 'dk-2' } })],
      ];

      it.each(variants)(
        'refuses a retry with the same ids and another %s, saying nothing of either',
        async (_, change) => {
          const stream = newStream('reuse');
          const events = [event('A', { n: 1 }, uuidv7()), event('B', { n: 1 }, uuidv7())];
          const first = await store.append(stream, events, { expectedVersion: 'no_stream' });
          const head = await store.headPosition();
          const changed = [events[0] as NewEvent, change(events[1] as NewEvent)];
          for (const expectedVersion of ['no_stream', 'any', 2] as const) {
            const error = await expectAmanError(
              store.append(stream, changed, { expectedVersion }),
              'AMAN_ERR_IDEMPOTENCY_CONFLICT',
            );
            expect(error.message).not.toMatch(/Other|key-2|org-ngo-2|corr-2|cmd-2|dk-2|"n"/);
            expect(error.httpStatus).toBe(422);
          }
          expect(await store.readStream(stream)).toEqual(first.events);
          expect(await store.headPosition()).toBe(head);
        },
      );

      it('refuses a part, a reordering or an extension of a stored append', async () => {
        const stream = newStream('partial');
        const [a, b, c] = [0, 1, 2].map((n) => event('Tick', { n }, uuidv7())) as [
          NewEvent,
          NewEvent,
          NewEvent,
        ];
        const first = await store.append(stream, [a, b, c], { expectedVersion: 'no_stream' });
        const head = await store.headPosition();
        const d = event('Tick', { n: 3 }, uuidv7());
        for (const retry of [[a, b], [b, c], [c], [b, a, c], [a, b, c, d]]) {
          await expectAmanError(
            store.append(stream, retry, { expectedVersion: 'any' }),
            'AMAN_ERR_IDEMPOTENCY_CONFLICT',
          );
        }
        expect(await store.readStream(stream)).toEqual(first.events);
        expect(await store.headPosition()).toBe(head);
        // The new id of the refused extension is free for an append of its own.
        expect((await store.append(stream, [d], { expectedVersion: 3 })).version).toBe(4);
      });

      it('lets a writer that lost its expected version decide again with the same ids', async () => {
        const stream = newStream('redecide');
        await store.append(stream, [event('Opened')], { expectedVersion: 'no_stream' });
        const id = uuidv7();
        await expectAmanError(
          store.append(stream, [event('Assessed', { level: 'high' }, id)], {
            expectedVersion: 'no_stream',
          }),
          'AMAN_ERR_CONCURRENCY',
        );
        const decided = await store.append(stream, [event('Assessed', { level: 'medium' }, id)], {
          expectedVersion: 1,
        });
        expect(decided.events[0]).toMatchObject({ id, data: { level: 'medium' }, version: 2 });
      });

      it('rejects an append whose first id belongs to another stream', async () => {
        const id = uuidv7();
        await store.append(newStream('owner'), [event('A', {}, id)], { expectedVersion: 'any' });
        const other = newStream('thief');
        await expectAmanError(
          store.append(other, [event('A', {}, id)], { expectedVersion: 'any' }),
          'AMAN_ERR_IDEMPOTENCY_CONFLICT',
        );
        expect(await store.streamVersion(other)).toBeUndefined();
      });

      it('keeps every event id unique in the whole log', async () => {
        const taken = uuidv7();
        await store.append(newStream('holder'), [event('A', {}, taken)], {
          expectedVersion: 'no_stream',
        });
        const other = newStream('reuser');
        const fresh = uuidv7();
        for (const expectedVersion of ['no_stream', 'any'] as const) {
          await expectAmanError(
            store.append(other, [event('B', {}, fresh), event('A', {}, taken)], {
              expectedVersion,
            }),
            'AMAN_ERR_IDEMPOTENCY_CONFLICT',
          );
        }
        expect(await store.streamVersion(other)).toBeUndefined();
        const all = await store.readAll({ limit: 10_000 });
        expect(all.filter((e) => e.id === taken)).toHaveLength(1);
        expect(all.filter((e) => e.id === fresh)).toHaveLength(0);
        // The refused append's other id is not held by it.
        await store.append(other, [event('B', {}, fresh)], { expectedVersion: 'no_stream' });
      });

      it('stores an append sent at once through two store instances once, and both succeed', async () => {
        const [one, two] = await Promise.all([h.open(), h.open()]);
        try {
          for (let round = 0; round < 40; round += 1) {
            const stream = newStream('twin');
            const expectedVersion = round % 2 === 0 ? 'no_stream' : 'any';
            if (expectedVersion === 'any') {
              await store.append(stream, [event('Opened')], { expectedVersion: 'no_stream' });
            }
            const events = [event('A', { round }, uuidv7()), event('B', { round }, uuidv7())];
            const outcomes = await Promise.allSettled([
              one.append(stream, events, { expectedVersion }),
              two.append(stream, events, { expectedVersion }),
            ]);
            const [first, second] = outcomes.map((o) => {
              if (o.status === 'rejected') throw o.reason;
              return o.value;
            });
            expect(second).toEqual(first);
            const stored = await store.readStream(stream);
            expect(stored).toHaveLength(expectedVersion === 'any' ? 3 : 2);
            expect(stored.slice(-2).map((e) => e.id)).toEqual(events.map((e) => e.id));
          }
        } finally {
          await Promise.all([one.close(), two.close()]);
        }
      }, 120_000);

      it('lets an identical retry finish an append whose writer was killed half-way', async () => {
        const stream = newStream('crash');
        const events = [event('A', { n: 1 }, uuidv7()), event('B', { n: 2 }, uuidv7())];
        await h.killMidAppend(stream, events);
        const reused = [{ ...(events[0] as NewEvent), data: { n: 9 } }];
        if (h.reservesIds) {
          // The killed writer's reservation still binds the ids to its append.
          await expectAmanError(
            store.append(newStream('crash-other'), reused, { expectedVersion: 'any' }),
            'AMAN_ERR_IDEMPOTENCY_CONFLICT',
          );
        }
        const retried = await store.append(stream, events, { expectedVersion: 'any' });
        expect(retried.version).toBe(2);
        expect(await store.append(stream, events, { expectedVersion: 'any' })).toEqual(retried);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual(events.map((e) => e.id));
        await expectAmanError(
          store.append(newStream('crash-other'), reused, { expectedVersion: 'any' }),
          'AMAN_ERR_IDEMPOTENCY_CONFLICT',
        );
      }, 90_000);
    });

    describe('command handling', () => {
      const metadata = { actor, correlationId: 'corr-cmd' };

      it('reads, decides and appends at the version it read, with the metadata given', async () => {
        const stream = newStream('tally');
        const first = await handleCommand(
          store,
          stream,
          tally,
          { kind: 'count', by: 2 },
          {
            metadata,
            schemaVersions: { Counted: 2 },
          },
        );
        expect(first).toMatchObject({ state: { total: 2, closed: false }, version: 1 });
        expect(first.events[0]).toMatchObject({
          type: 'Counted',
          schemaVersion: 2,
          data: { by: 2 },
          metadata,
        });
        const closed = await handleCommand(store, stream, tally, { kind: 'close' }, { metadata });
        expect(closed.state).toEqual({ total: 2, closed: true });
        expect(closed.events.map((e) => e.type)).toEqual(['Closed']);
      });

      it('appends nothing when the decider decides nothing, and nothing when it refuses', async () => {
        const stream = newStream('tally-none');
        const none = await handleCommand(
          store,
          stream,
          tally,
          { kind: 'count', by: 0 },
          { metadata },
        );
        expect(none).toEqual({
          state: { total: 0, closed: false },
          events: [],
          version: undefined,
        });
        await handleCommand(store, stream, tally, { kind: 'close' }, { metadata });
        await expectAmanError(
          handleCommand(store, stream, tally, { kind: 'count', by: 1 }, { metadata }),
          'AMAN_ERR_ILLEGAL_STATE',
        );
        expect(await store.streamVersion(stream)).toBe(1);
      });

      it('decides again on the new state when another writer won the race', async () => {
        const stream = newStream('tally-race');
        const writers = await Promise.all(Array.from({ length: 4 }, () => h.open()));
        try {
          await Promise.all(
            writers.flatMap((writer) =>
              [1, 2].map((by) =>
                handleCommand(
                  writer,
                  stream,
                  tally,
                  { kind: 'count', by },
                  {
                    metadata,
                    maxAttempts: 50,
                  },
                ),
              ),
            ),
          );
          const events = await store.readStream<TallyEvent>(stream);
          expect(events).toHaveLength(8);
          expect(events.reduce((sum, e) => sum + (e.type === 'Counted' ? e.data.by : 0), 0)).toBe(
            12,
          );
        } finally {
          await Promise.all(writers.map((writer) => writer.close()));
        }
      }, 60_000);

      it('refuses at once a decision made on another version than the one the caller read', async () => {
        const stream = newStream('tally-seen');
        await handleCommand(store, stream, tally, { kind: 'count', by: 1 }, { metadata });
        await handleCommand(store, stream, tally, { kind: 'count', by: 1 }, { metadata });
        const error = await expectAmanError(
          handleCommand(
            store,
            stream,
            tally,
            { kind: 'count', by: 5 },
            { metadata, expectedVersion: 1 },
          ),
          'AMAN_ERR_CONCURRENCY',
        );
        expect(error).toMatchObject({ expected: 1, actual: 2 });
        const result = await handleCommand(
          store,
          stream,
          tally,
          { kind: 'count', by: 5 },
          { metadata, expectedVersion: 2 },
        );
        expect(result.version).toBe(3);
      });

      it('gives up with the ConcurrencyError after its attempts', async () => {
        const stream = newStream('tally-giveup');
        await handleCommand(store, stream, tally, { kind: 'count', by: 1 }, { metadata });
        // A store whose stream moves between every read and append: the race is always lost.
        let reads = 0;
        const busy = new Proxy(store, {
          get(target, property, receiver) {
            if (property !== 'readStream') {
              const value = Reflect.get(target, property, receiver) as unknown;
              // Bound: the store's methods use its private fields.
              return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
            }
            return async (name: string) => {
              const events = await target.readStream(name);
              reads += 1;
              await target.append(name, [event('Counted', { by: 1 })], { expectedVersion: 'any' });
              return events;
            };
          },
        });
        const error = await expectAmanError(
          handleCommand(
            busy,
            stream,
            tally,
            { kind: 'count', by: 1 },
            { metadata, maxAttempts: 3 },
          ),
          'AMAN_ERR_CONCURRENCY',
        );
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(reads).toBe(3);
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
        await expectAmanError(act(), 'AMAN_ERR_VALIDATION');
        expect(await store.headPosition()).toBe(head);
      });

      it.each([
        ['an operator as stream name', () => store.readStream({ $ne: null } as unknown as string)],
        ['a negative limit', () => store.readAll({ limit: -5 })],
        ['a zero limit', () => store.readAll({ limit: 0 })],
        ['a fractional position', () => store.readAll({ after: 1.5 })],
        ['version 0', () => store.readStream('case-x', { fromVersion: 0 })],
        ['a negative stream limit', () => store.readStream('case-x', { limit: -1 })],
        ['an operator to verify', () => store.verify({ $gt: '' } as unknown as string)],
        ['an operator for a version', () => store.streamVersion({ $gt: '' } as unknown as string)],
      ])('rejects a read with %s', async (_, act) => {
        await expectAmanError(act(), 'AMAN_ERR_VALIDATION');
      });

      it('does not echo the offending value in the error message', async () => {
        const error = await expectAmanError(
          store.append(
            newStream('leak'),
            [event('A', { name: 'Canary Person', 'canary@example.org': { n: Infinity } })],
            { expectedVersion: 'any' },
          ),
          'AMAN_ERR_VALIDATION',
        );
        expect(error.message).not.toMatch(/canary/i);
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

      it('lists every stream head as of a position, as the log replayed up to it says', async () => {
        const streams = [newStream('heads-b'), newStream('heads-a')];
        await store.append(streams[0] ?? '', [event('Tick'), event('Tick')], {
          expectedVersion: 'no_stream',
        });
        const { position: inside } = await store.append(
          streams[1] ?? '',
          [event('Tick'), event('Tick'), event('Tick')],
          { expectedVersion: 'no_stream' },
        );
        await store.append(streams[0] ?? '', [event('Tick')], { expectedVersion: 2 });
        const replayed = async (upTo: number): Promise<StreamHead[]> => {
          const heads = new Map<string, StreamHead>();
          for (let after = 0; after < upTo;) {
            const page = await store.readAll({ after, limit: 1000 });
            if (page.length === 0) break;
            for (const e of page) {
              if (e.position <= upTo) {
                heads.set(e.stream, { stream: e.stream, version: e.version, hash: e.hash });
              }
            }
            after = page[page.length - 1]?.position ?? upTo;
          }
          return [...heads.values()].sort((a, b) => (a.stream < b.stream ? -1 : 1));
        };
        const head = await store.headPosition();
        // At the head, inside a commit of three events, and from another instance.
        for (const upTo of [head, inside - 1, 0]) {
          expect(await store.streamHeads(upTo)).toEqual(await replayed(upTo));
        }
        const other = await h.open();
        try {
          const heads = await other.streamHeads(head);
          expect(heads.find((x) => x.stream === streams[0])?.version).toBe(3);
          expect(heads.find((x) => x.stream === streams[1])).toMatchObject({ version: 3 });
          expect(heads.map((x) => x.stream)).toEqual(heads.map((x) => x.stream).sort());
        } finally {
          await other.close();
        }
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
        // Put back, so the whole log verifies for the tests after this one.
        await h.tamper(stream, 2, '{"n":2}');
        expect((await store.verify(stream)).ok).toBe(true);
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

    // Last: these tamper with the global order of the shared store.
    describe('tamper evidence of the global order', () => {
      const single = async (label: string): Promise<number> =>
        (await store.append(newStream(label), [event('Tick')], { expectedVersion: 'any' }))
          .position;

      it('verifies the whole log: positions dense from 1, every hash right', async () => {
        const head = await store.headPosition();
        expect(await store.verifyLog()).toEqual({ ok: true, eventsChecked: head });
      });

      it('detects two events whose global positions were swapped', async () => {
        const a = await single('swap-a');
        const b = await single('swap-b');
        await h.swapPositions(a, b);
        expect(await store.verifyLog()).toMatchObject({ ok: false, brokenAtPosition: a });
        await h.swapPositions(a, b);
        expect((await store.verifyLog()).ok).toBe(true);
      });

      it('never hands out a removed newest position again, and a reader beyond the head hears of it', async () => {
        const reader = await h.open({ holeGraceMs: 300 });
        try {
          const newest = await single('newest');
          expect((await reader.readAll({ after: newest - 1 })).map((e) => e.position)).toEqual([
            newest,
          ]);
          await h.remove(newest);
          expect(await store.verifyLog()).toMatchObject({
            ok: false,
            brokenAtPosition: newest,
          });
          await expectAmanError(
            untilReadFails(() => reader.readAll({ after: newest })),
            'AMAN_ERR_INTEGRITY',
          );
          // A writer that opens the store now, as after a restart, does not reuse the position.
          const writer = await h.open();
          try {
            const next = await writer.append(newStream('after-removal'), [event('Tick')], {
              expectedVersion: 'any',
            });
            expect(next.position).toBe(newest + 1);
            expect(await single('after-removal')).toBe(newest + 2);
          } finally {
            await writer.close();
          }
          expect((await reader.readAll({ after: newest })).map((e) => e.position)).toEqual([
            newest + 1,
            newest + 2,
          ]);
        } finally {
          await reader.close();
        }
      }, 30_000);
      it('stops at a hole, never past it, and reports it once it outlasts the grace period', async () => {
        const reader = await h.open({ holeGraceMs: 300 });
        try {
          const before = await store.headPosition();
          const [first, , third] = [
            await single('hole'),
            await single('hole'),
            await single('hole'),
          ];
          await h.remove(before + 2);
          expect((await reader.readAll({ after: before })).map((e) => e.position)).toEqual([first]);
          expect(await reader.readAll({ after: before + 1 })).toEqual([]);
          const error = await expectAmanError(
            untilReadFails(() => reader.readAll({ after: before + 1 })),
            'AMAN_ERR_INTEGRITY',
          );
          expect(error.message).toContain(`position ${before + 2}`);
          // Past the hole the log reads on.
          expect((await reader.readAll({ after: before + 2 })).map((e) => e.position)).toEqual([
            third,
          ]);
          // The test before this one left its own break earlier in the log.
          expect((await store.verifyLog()).ok).toBe(false);
        } finally {
          await reader.close();
        }
      }, 30_000);
    });
  });
}

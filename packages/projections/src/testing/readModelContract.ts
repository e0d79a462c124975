import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
  SqliteCheckpointStore,
  SqliteEventStore,
  type EventStore,
  type JsonObject,
  type NewEvent,
} from '@aman/eventstore';
import { expectAmanError } from '@aman/testing';

import type { ReadModelCollection, ReadModelStore } from '../readModels.ts';
import {
  ProjectionRunner,
  type ProjectedEvent,
  type Projection,
  type RebuildProgress,
} from '../runner.ts';

export interface ReadModelHarness {
  readonly store: ReadModelStore;
  /** A directory for the SQLite event stores and checkpoints the runner tests read from. */
  readonly scratch: string;
  dispose(): Promise<void>;
}

let counter = 0;
const unique = (label: string): string => {
  counter += 1;
  return `${label}${counter}x${Date.now().toString(36)}`;
};

function caseEvent(type: string, data: JsonObject): NewEvent {
  return {
    type,
    schemaVersion: 1,
    data,
    metadata: { actor: { organisationId: 'org-ngo-1', principalId: 'key-1' }, correlationId: 'c' },
  };
}

/** A projection of open cases by province, with a running count of every event it applied. */
function casesProjection(
  version: number,
  fired: ProjectedEvent[] = [],
  label = 'open',
): Projection {
  return {
    name: 'cases',
    version,
    collections: { byCase: { indexes: ['province', 'status'] }, totals: { indexes: [] } },
    handles: ['CaseOpened', 'CaseClosed'],
    async project(event, context) {
      const totals = (await context.get('totals', 'all')) ?? { events: 0 };
      await context.put('totals', 'all', { events: Number(totals['events']) + 1 });
      if (event.type === 'CaseOpened') {
        await context.put('byCase', event.stream, { ...event.data, status: label });
      } else {
        await context.delete('byCase', event.stream);
      }
    },
    sideEffect: (event) => {
      fired.push(event);
      return Promise.resolve();
    },
  };
}

/** The behaviour every ReadModelStore adapter must have, and the runner on top of it. */
export function readModelContract(
  name: string,
  makeHarness: () => Promise<ReadModelHarness>,
): void {
  describe(`ReadModelStore contract: ${name}`, () => {
    let h: ReadModelHarness;
    let people: ReadModelCollection;

    beforeAll(async () => {
      h = await makeHarness();
      people = await h.store.collection(unique('defenders'), {
        indexes: ['province', 'risk', 'urgent', 'score'],
      });
      await people.write(
        Array.from({ length: 25 }, (_, i) => ({
          id: `d${String(i).padStart(2, '0')}`,
          data: {
            province: i % 3 === 0 ? 'P-01' : 'P-02',
            risk: ['low', 'medium', 'high', 'critical'][i % 4] ?? 'low',
            urgent: i % 5 === 0,
            score: (i * 7) % 25,
            nested: { list: [1, 'two'] },
          },
          versions: { [`case-${i}`]: 1 },
        })),
      );
    });

    afterAll(async () => {
      await h.dispose();
    });

    describe('documents', () => {
      it('writes, reads back and keeps per-stream versions', async () => {
        expect(await people.get('d03')).toEqual({
          id: 'd03',
          data: {
            province: 'P-01',
            risk: 'critical',
            urgent: false,
            score: 21,
            nested: { list: [1, 'two'] },
          },
          versions: { 'case-3': 1 },
        });
        expect(await people.get('nobody')).toBeUndefined();
        const many = await people.getMany(['d01', 'd02', 'nobody']);
        expect([...many.keys()].sort()).toEqual(['d01', 'd02']);
      });

      it('writes and rewrites a large batch in one call', async () => {
        const collection = await h.store.collection(unique('large'), { indexes: ['round'] });
        const batch = (round: number) =>
          Array.from({ length: 260 }, (_, i) => ({
            id: `doc-${i}`,
            data: { round, i },
            versions: { [`case-${i}`]: round },
          }));
        await collection.write(batch(1));
        // Replacing hundreds of existing documents at once is what hung FerretDB (ADR 0002).
        await collection.write(batch(2));
        expect(await collection.count({ round: 2 })).toBe(260);
        expect(await collection.count({ round: 1 })).toBe(0);
      });

      it('keeps a tombstone out of queries and counts, with its versions', async () => {
        const collection = await h.store.collection(unique('tomb'), { indexes: ['province'] });
        await collection.write([
          { id: 'a', data: { province: 'P-01' }, versions: { s: 1 } },
          { id: 'b', data: { province: 'P-01' }, versions: { s: 1 } },
        ]);
        await collection.write([
          { id: 'a', data: undefined, versions: { s: 2, 'other.stream$': 4 } },
        ]);
        expect(await collection.get('a')).toEqual({
          id: 'a',
          data: undefined,
          versions: { s: 2, 'other.stream$': 4 },
        });
        expect(await collection.count({ province: 'P-01' })).toBe(1);
        expect((await collection.query()).items.map((item) => item.id)).toEqual(['b']);
        expect(await collection.group('province')).toEqual([{ key: 'P-01', count: 1 }]);
      });
    });

    describe('queries', () => {
      it('filters by equality on indexed fields of every primitive type', async () => {
        const page = await people.query({ where: { province: 'P-01', urgent: true }, limit: 100 });
        expect(page.items.map((item) => item.id)).toEqual(['d00', 'd15']);
        expect(page.nextCursor).toBeUndefined();
        expect(await people.count({ score: 0 })).toBe(1);
      });

      it('pages through every match exactly once with cursors, both directions', async () => {
        for (const direction of ['asc', 'desc'] as const) {
          const seen: { id: string; score: number }[] = [];
          let cursor: string | undefined;
          do {
            const page = await people.query({
              orderBy: 'score',
              direction,
              limit: 7,
              ...(cursor === undefined ? {} : { cursor }),
            });
            seen.push(
              ...page.items.map((item) => ({ id: item.id, score: Number(item.data['score']) })),
            );
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(seen).toHaveLength(25);
          expect(new Set(seen.map((s) => s.id)).size).toBe(25);
          const scores = seen.map((s) => s.score);
          const sorted = [...scores].sort((a, b) => (direction === 'asc' ? a - b : b - a));
          expect(scores).toEqual(sorted);
        }
      });

      it('pages through documents whose sort field is null or missing', async () => {
        const collection = await h.store.collection(unique('sparse'), { indexes: ['due'] });
        await collection.write(
          Array.from({ length: 12 }, (_, i) => ({
            id: `r${String(i).padStart(2, '0')}`,
            data:
              i % 3 === 0 ? {} : i % 3 === 1 ? { due: null } : { due: `2026-0${(i % 9) + 1}-01` },
            versions: {},
          })),
        );
        for (const direction of ['asc', 'desc'] as const) {
          const ids: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await collection.query({
              orderBy: 'due',
              direction,
              limit: 5,
              ...(cursor === undefined ? {} : { cursor }),
            });
            ids.push(...page.items.map((item) => item.id));
            cursor = page.nextCursor;
          } while (cursor !== undefined);
          expect(ids).toHaveLength(12);
          expect(new Set(ids).size).toBe(12);
        }
      });

      it('refuses data it could not store everywhere, without naming the key', async () => {
        const collection = await h.store.collection(unique('keys'), { indexes: [] });
        for (const data of [
          { 'canary.example': 1 },
          { nested: { $where: 'x' } },
          { list: [{ 'a.b': 1 }] },
        ]) {
          const error = await expectAmanError(
            collection.write([{ id: 'k', data, versions: {} }]),
            'AMAN_ERR_VALIDATION',
          );
          expect(error.message).not.toMatch(/canary|where/);
        }
        expect(await collection.get('k')).toBeUndefined();
      });

      it('counts and groups for statistics', async () => {
        expect(await people.count()).toBe(25);
        expect(await people.count({ province: 'P-02' })).toBe(16);
        expect(await people.group('risk')).toEqual([
          { key: 'critical', count: 6 },
          { key: 'high', count: 6 },
          { key: 'low', count: 7 },
          { key: 'medium', count: 6 },
        ]);
        expect(await people.group('risk', { province: 'P-01' })).toEqual([
          { key: 'critical', count: 2 },
          { key: 'high', count: 2 },
          { key: 'low', count: 3 },
          { key: 'medium', count: 2 },
        ]);
      });

      it('rejects what it cannot answer safely with a validation error', async () => {
        const unsafe: (() => Promise<unknown>)[] = [
          () => people.query({ where: { name: 'x' } }),
          () => people.query({ where: { province: { $gt: '' } as unknown as string } }),
          () => people.query({ where: JSON.parse('{"__proto__": "x"}') as Record<string, string> }),
          () => people.query({ orderBy: 'nested' }),
          () => people.query({ limit: 0 }),
          () => people.query({ limit: 10_000 }),
          () => people.query({ cursor: 'bm90IGEgY3Vyc29y' }),
          () => people.group('nested'),
          () => h.store.collection('x; DROP TABLE y', { indexes: [] }),
          () => h.store.collection('ok', { indexes: ["a') --"] }),
        ];
        for (const attempt of unsafe) await expectAmanError(attempt, 'AMAN_ERR_VALIDATION');
      });
    });

    describe('projection runner', () => {
      let source: EventStore;
      let checkpoints: SqliteCheckpointStore;

      beforeAll(async () => {
        source = new SqliteEventStore({ path: `${h.scratch}/${unique('intake')}.db` });
        checkpoints = new SqliteCheckpointStore({ path: `${h.scratch}/${unique('cp')}.db` });
        await source.append('case-1', [caseEvent('CaseOpened', { province: 'P-01' })], {
          expectedVersion: 'no_stream',
        });
        await source.append('case-2', [caseEvent('CaseOpened', { province: 'P-02' })], {
          expectedVersion: 'no_stream',
        });
        await source.append('case-3', [caseEvent('CaseOpened', { province: 'P-02' })], {
          expectedVersion: 'no_stream',
        });
        await source.append('case-2', [caseEvent('CaseClosed', {})], { expectedVersion: 1 });
        await source.append('case-9', [caseEvent('NotForThisProjection', {})], {
          expectedVersion: 'no_stream',
        });
      });

      afterAll(async () => {
        await source.close();
        await checkpoints.close();
      });

      it('builds, switches readers to the new version, and applies each event once', async () => {
        const fired: ProjectedEvent[] = [];
        const runner = new ProjectionRunner({
          projection: casesProjection(1, fired),
          store: h.store,
          checkpoints,
        });
        expect(await runner.ensureBuilt({ intake: source })).toEqual({ rebuilt: true });
        expect(await runner.activeVersion()).toBe(1);
        const byCase = await runner.reader('byCase');
        expect((await byCase.query({ orderBy: 'province' })).items).toEqual([
          { id: 'case-1', data: { province: 'P-01', status: 'open' } },
          { id: 'case-3', data: { province: 'P-02', status: 'open' } },
        ]);
        expect((await (await runner.reader('totals')).get('all'))?.data).toEqual({ events: 4 });
        // A rebuild is history: side effects stay off.
        expect(fired).toEqual([]);

        // Everything again, as after a crash before the checkpoint: the guard holds.
        const replay = await source.readAll();
        await runner.apply(replay.map((event) => ({ ...event, source: 'intake' })));
        await runner.catchUp('intake', source);
        expect((await (await runner.reader('totals')).get('all'))?.data).toEqual({ events: 4 });
        expect(await runner.ensureBuilt({ intake: source })).toEqual({ rebuilt: false });
      });

      it('fires side effects for live events once, even when they arrive twice', async () => {
        const fired: ProjectedEvent[] = [];
        const runner = new ProjectionRunner({
          projection: casesProjection(1, fired),
          store: h.store,
          checkpoints,
        });
        const result = await source.append(
          'case-4',
          [caseEvent('CaseOpened', { province: 'P-03' })],
          { expectedVersion: 'no_stream' },
        );
        await runner.catchUp('intake', source);
        await runner.apply(result.events.map((event) => ({ ...event, source: 'intake' })));
        expect(fired.map((event) => event.stream)).toEqual(['case-4']);
        expect((await (await runner.reader('totals')).get('all'))?.data).toEqual({ events: 5 });
      });

      it('refuses to rebuild an older version over a newer active one', async () => {
        const v0 = new ProjectionRunner({
          projection: casesProjection(0),
          store: h.store,
          checkpoints,
        });
        await expectAmanError(v0.ensureBuilt({ intake: source }), 'AMAN_ERR_ILLEGAL_STATE');
        expect(await v0.activeVersion()).toBe(1);
      });

      it('fires a side effect again if it failed after its documents were stored', async () => {
        let failures = 1;
        const fired: string[] = [];
        const flaky: Projection = {
          ...casesProjection(1),
          sideEffect: (event) => {
            if (failures > 0) {
              failures -= 1;
              return Promise.reject(new Error('webhook receiver down'));
            }
            fired.push(event.stream);
            return Promise.resolve();
          },
        };
        const runner = new ProjectionRunner({ projection: flaky, store: h.store, checkpoints });
        const { events } = await source.append(
          'case-5',
          [caseEvent('CaseOpened', { province: 'P-04' })],
          { expectedVersion: 'no_stream' },
        );
        const live = events.map((event) => ({ ...event, source: 'intake' }));
        await expect(runner.apply(live)).rejects.toThrow('webhook receiver down');
        expect(await (await runner.reader('byCase')).get('case-5')).toBeDefined();
        await runner.apply(live);
        await runner.apply(live);
        expect(fired).toEqual(['case-5']);
      });

      it('lets one event write a document twice, and keeps sources apart', async () => {
        const projection: Projection = {
          name: 'twice',
          version: 1,
          collections: { notes: { indexes: [] } },
          handles: ['Noted'],
          async project(event, context) {
            await context.put('notes', 'n', { step: 1 });
            const first = await context.get('notes', 'n');
            await context.put('notes', 'n', {
              step: Number(first?.['step']) + 1,
              from: event.source,
            });
          },
        };
        const runner = new ProjectionRunner({ projection, store: h.store, checkpoints });
        await runner.ensureBuilt({});
        const noted = (source: string): ProjectedEvent => ({
          id: `${source}-1`,
          source,
          stream: 'case-42',
          version: 1,
          type: 'Noted',
          data: {},
          occurredAt: '2026-01-01T00:00:00.000Z',
        });
        await runner.apply([noted('/aman/intake')]);
        expect((await (await runner.reader('notes')).get('n'))?.data).toEqual({
          step: 2,
          from: '/aman/intake',
        });
        // Version 1 of another context's case-42 is a different event, not a duplicate.
        await runner.apply([noted('/aman/referral')]);
        expect((await (await runner.reader('notes')).get('n'))?.data).toEqual({
          step: 2,
          from: '/aman/referral',
        });
        expect((await (await runner.reader('notes')).get('n'))?.versions).toEqual({
          '/aman/intake|case-42': 1,
          '/aman/referral|case-42': 1,
        });
      });

      it('rebuilds a new version beside the old one and drops the old one after switching', async () => {
        const fired: ProjectedEvent[] = [];
        const v2 = new ProjectionRunner({
          projection: casesProjection(2, fired, 'active'),
          store: h.store,
          checkpoints,
        });
        expect(await v2.ensureBuilt({ intake: source })).toEqual({ rebuilt: true });
        expect(await v2.activeVersion()).toBe(2);
        const byCase = await v2.reader('byCase');
        expect(await byCase.count({ status: 'active' })).toBe(4);
        expect(await byCase.count({ status: 'open' })).toBe(0);
        expect(fired).toEqual([]);
        const old = await h.store.collection('cases__byCase__v1', {
          indexes: ['province', 'status'],
        });
        expect(await old.count()).toBe(0);
      });

      it('rebuilds the same code into the next version while the active one serves, with live events followed across the switch', async () => {
        const projection = casesProjection(2, [], 'active');
        const live = new ProjectionRunner({ projection, store: h.store, checkpoints });
        const rebuilder = new ProjectionRunner({ projection, store: h.store, checkpoints });
        const before = await (await live.reader('totals')).get('all');
        const progress: RebuildProgress[] = [];
        let appendedDuring = false;
        const version = await rebuilder.rebuild(
          { intake: source },
          {
            onProgress: async (step) => {
              progress.push(step);
              expect(step.applied).toBeLessThanOrEqual(step.head);
              if (appendedDuring) return;
              appendedDuring = true;
              // Readers still see the active version while the next one fills.
              expect((await (await live.reader('totals')).get('all'))?.data).toEqual(before?.data);
              // A live event during the rebuild: the service applies it to the active version.
              const { events } = await source.append(
                'case-6',
                [caseEvent('CaseOpened', { province: 'P-05' })],
                { expectedVersion: 'no_stream' },
              );
              await live.apply(events.map((event) => ({ ...event, source: 'intake' })));
            },
          },
        );
        expect(version).toBe(3);
        expect(await live.activeVersion()).toBe(3);
        expect(progress[0]).toMatchObject({ source: 'intake' });
        expect((await (await live.reader('byCase')).get('case-6'))?.data).toEqual({
          province: 'P-05',
          status: 'active',
        });
        expect((await (await live.reader('totals')).get('all'))?.data).toEqual({
          events: Number(before?.data?.['events']) + 1,
        });
        // Live events after the switch go to the new version, once.
        const { events } = await source.append(
          'case-7',
          [caseEvent('CaseOpened', { province: 'P-06' })],
          { expectedVersion: 'no_stream' },
        );
        const late = events.map((event) => ({ ...event, source: 'intake' }));
        await live.apply(late);
        await live.apply(late);
        expect(await (await live.reader('byCase')).count({ status: 'active' })).toBe(6);
        expect((await (await live.reader('totals')).get('all'))?.data).toEqual({
          events: Number(before?.data?.['events']) + 2,
        });
        const previous = await h.store.collection('cases__byCase__v2', {
          indexes: ['province', 'status'],
        });
        expect(await previous.count()).toBe(0);
        // The code did not change: a restart keeps the rebuilt version.
        expect(await live.ensureBuilt({ intake: source })).toEqual({ rebuilt: false });
        expect(await live.activeVersion()).toBe(3);
      });
    });
  });
}

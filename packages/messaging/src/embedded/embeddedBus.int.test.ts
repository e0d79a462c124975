import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { eventually } from '@aman/testing';

import { SqliteEventStore, type NewEvent } from '@aman/eventstore';
import { exited, spawnTypeScript } from '@aman/eventstore/testing';
import type { BusMessage } from '../types.ts';

import { busContract } from '../testing/busContract.ts';
import { probeCodecs } from '../testing/probe.ts';
import { EmbeddedBus } from './embeddedBus.ts';

function probe(note: string, extra: Record<string, string> = {}): NewEvent {
  return {
    type: 'PipelineProbe',
    schemaVersion: 1,
    data: { probeId: `p-${note.slice(0, 40)}`, sentAt: new Date().toISOString(), note, ...extra },
    metadata: { actor: { organisationId: 'org-op', principalId: 'probe' }, correlationId: 'c-1' },
  };
}

busContract('embedded (tails SQLite stores)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-bus-'));
  const topic = 'aman.test.v1';
  const codecs = probeCodecs();
  // The producing service's store; the subscriber opens the same file on its own.
  const producer = new SqliteEventStore({ path: join(dir, 'producer.db') });
  const bus = new EmbeddedBus({
    topics: { [topic]: { path: join(dir, 'producer.db'), codecs } },
    statePath: join(dir, 'consumer.db'),
    pollIntervalMs: 10,
  });
  return Promise.resolve({
    subscriber: bus,
    topic,
    codecs,
    produce: async (stream, notes) => {
      const ids: string[] = [];
      for (const note of notes) {
        const result = await producer.append(stream, [probe(note)], { expectedVersion: 'any' });
        ids.push(...result.events.map((event) => event.id));
      }
      return ids;
    },
    producePoison: async (stream) => {
      // A field the protobuf message does not have: it cannot be published without losing it.
      await producer.append(stream, [probe('poison', { unexpectedField: 'x' })], {
        expectedVersion: 'any',
      });
    },
    deadLetters: (group) => Promise.resolve(bus.deadLetters(group, topic)),
    dispose: async () => {
      await bus.close();
      await producer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

describe('embedded bus across processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-bus-mp-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('upcasts old events of the producer before they are published', async () => {
    const topic = 'aman.test.v1';
    const path = join(dir, 'old-producer.db');
    const producer = new SqliteEventStore({ path });
    // Written by an older release, under a name and shape it no longer publishes.
    await producer.append(
      'case-old-1',
      [
        {
          type: 'ProbeSent',
          schemaVersion: 1,
          data: { ref: 'p-old', at: '2025-01-01T00:00:00.000Z', text: 'from the past' },
          metadata: {
            actor: { organisationId: 'org-op', principalId: 'probe' },
            correlationId: 'c',
          },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
    await producer.close();
    const bus = new EmbeddedBus({
      topics: {
        [topic]: {
          path,
          codecs: probeCodecs(),
          upcasters: {
            ProbeSent: {
              1: (data) => ({
                type: 'PipelineProbe',
                data: {
                  probeId: data['ref'] ?? '',
                  sentAt: data['at'] ?? '',
                  note: data['text'] ?? '',
                },
              }),
            },
          },
        },
      },
      statePath: join(dir, 'old-consumer.db'),
      pollIntervalMs: 5,
    });
    const notes: unknown[] = [];
    const subscription = await bus.subscribe({
      group: 'g',
      topics: [topic],
      handler: (message) => {
        notes.push(probeCodecs().decode(message)['note']);
        return Promise.resolve();
      },
    });
    try {
      await eventually('the upcast event', () => notes.length === 1);
      expect(notes).toEqual(['from the past']);
      expect(bus.deadLetters('g', topic)).toEqual([]);
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });

  it('delivers what writer processes append, once each, in order per stream', async () => {
    const topic = 'aman.test.v1';
    const path = join(dir, 'producer.db');
    // The file exists (with its schema) before the subscriber opens it.
    await new SqliteEventStore({ path }).close();
    const bus = new EmbeddedBus({
      topics: { [topic]: { path, codecs: probeCodecs() } },
      statePath: join(dir, 'consumer.db'),
      pollIntervalMs: 5,
    });
    const received: BusMessage[] = [];
    const subscription = await bus.subscribe({
      group: 'projections',
      topics: [topic],
      handler: (message) => {
        received.push(message);
        return Promise.resolve();
      },
    });
    const streams = Array.from({ length: 6 }, (_, i) => `case-mp-${i}`);
    const writers = 3;
    const appends = 40;
    try {
      await Promise.all(
        Array.from({ length: writers }, (_, w) =>
          exited(
            spawnTypeScript(
              'packages/eventstore/src/testing/sqliteWriterProcess.ts',
              [path, String(w), String(appends), streams.join(',')],
              { env: { WRITER_EVENT: 'probe' } },
            ),
          ),
        ),
      );
      const expected =
        writers * Array.from({ length: appends }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b);
      await eventually(`${expected} messages`, () => received.length >= expected);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toHaveLength(expected);
      expect(new Set(received.map((m) => m.id)).size).toBe(expected);
      const last = new Map<string, number>();
      for (const message of received) {
        expect(message.streamVersion).toBe((last.get(message.stream) ?? 0) + 1);
        last.set(message.stream, message.streamVersion);
      }
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SqliteEventStore, type NewEvent } from '@aman/eventstore';

import { busContract } from '../testing/busContract.ts';
import { probeCodecs } from '../testing/probe.ts';
import { EmbeddedBus } from './embeddedBus.ts';

function probe(note: string, extra: Record<string, string> = {}): NewEvent {
  return {
    type: 'PipelineProbe',
    schemaVersion: 1,
    data: { probeId: `p-${note}`, sentAt: new Date().toISOString(), note, ...extra },
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

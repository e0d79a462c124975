import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

import { afterAll, expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';

import { SqliteEventStore } from '@aman/eventstore';
import { spawnTypeScript } from '@aman/eventstore/testing';
import { describeWithKafka, eventually } from '@aman/testing';

import { eventing } from '@aman/contracts';
import { SqliteCheckpointStore } from '@aman/eventstore';

import { KafkaBus, deadLetterTopic, parkOnDeadLetterTopic } from '../kafka/kafkaBus.ts';
import { probeCodecs } from '../testing/probe.ts';
import { OutboxRelay } from './outboxRelay.ts';
import type { Subscription } from '../types.ts';

const EVENTS = 6000;
const STREAMS = 60;
const BATCH = 1500;

describeWithKafka('Outbox relay', ({ brokers, namespace }) => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-relay-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event exactly once to consumers after being SIGKILLed mid-batch', async () => {
    const path = join(dir, 'intake.db');
    const topic = `${namespace}.intake`;
    const store = new SqliteEventStore({ path, synchronous: 'normal' });
    for (let i = 0; i < EVENTS; i += 10) {
      await store.append(
        `case-${(i / 10) % STREAMS}`,
        Array.from({ length: 10 }, (_, k) => ({
          type: 'PipelineProbe',
          schemaVersion: 1,
          data: { probeId: `p-${i + k}`, sentAt: new Date().toISOString(), note: `${i + k}` },
          metadata: { actor: { organisationId: 'org-op', principalId: 'p' }, correlationId: 'c' },
        })),
        { expectedVersion: 'any' },
      );
    }
    await store.close();

    // Every record on the topic, duplicates included.
    const kafka = new Kafka({ clientId: namespace, brokers, logLevel: logLevel.NOTHING });
    const bus = new KafkaBus({ brokers, clientId: `${namespace}-consumer`, partitions: 3 });
    await bus.ensureTopics([topic]);
    let records = 0;
    const raw = kafka.consumer({ groupId: `${namespace}.raw` });
    await raw.connect();
    await raw.subscribe({ topic, fromBeginning: true });
    await raw.run({
      eachBatch: ({ batch }) => {
        records += batch.messages.length;
        return Promise.resolve();
      },
    });

    // What a consumer applied: per stream, versions must arrive 1, 2, 3… exactly once each.
    const appliedVersion = new Map<string, number>();
    const applied = new Set<string>();
    const violations: string[] = [];
    const subscription: Subscription = await bus.subscribe({
      group: `${namespace}.projection`,
      topics: [topic],
      handler: (message) => {
        const expected = (appliedVersion.get(message.stream) ?? 0) + 1;
        if (message.streamVersion !== expected) {
          violations.push(
            `${message.stream}: got v${message.streamVersion}, expected v${expected}`,
          );
        }
        if (applied.has(message.id)) violations.push(`applied twice: ${message.id}`);
        applied.add(message.id);
        appliedVersion.set(message.stream, message.streamVersion);
        return Promise.resolve();
      },
    });

    const relay = (env: NodeJS.ProcessEnv = {}): ChildProcess =>
      spawnTypeScript(
        'packages/messaging/src/testing/relayProcess.ts',
        [path, brokers.join(','), topic, String(BATCH)],
        { env },
      );
    try {
      // The first relay holds each batch for 5 s between the broker's ack and its checkpoint
      // write; it is killed in that window of its second batch.
      const first = relay({ RELAY_PAUSE_AFTER_PUBLISH_MS: '5000' });
      let acknowledged = 0;
      let firstStderr = '';
      let firstExited = false;
      first.stdout?.on('data', (chunk: Buffer) => {
        acknowledged += chunk.toString().split('published').length - 1;
      });
      first.stderr?.on('data', (chunk: Buffer) => {
        firstStderr += chunk.toString();
      });
      first.once('exit', () => {
        firstExited = true;
      });
      await eventually(
        'two batches acknowledged by the broker',
        () => {
          if (firstExited) throw new Error(`the relay exited on its own: ${firstStderr}`);
          return acknowledged >= 2;
        },
        60_000,
      );
      first.kill('SIGKILL');
      await eventually('the killed relay to exit', () => firstExited);

      const second = relay();
      try {
        await eventually('every event applied', () => applied.size === EVENTS, 90_000);
        // The batch the killed relay had published but not checkpointed went out again.
        await eventually('the redelivered batch on the broker', () => records >= EVENTS + BATCH);
      } finally {
        second.kill('SIGTERM');
        await new Promise((resolve) => second.once('exit', resolve));
      }
      // ...and no consumer applied any of it twice, or out of order.
      expect(violations).toEqual([]);
      expect(applied.size).toBe(EVENTS);
      process.stdout.write(
        `relay kill test: killed after ${acknowledged} acknowledged batches; ${records} records ` +
          `on the broker (${records - EVENTS} redelivered), ${applied.size} applied once each\n`,
      );
    } finally {
      await subscription.stop();
      await raw.disconnect();
      await bus.close();
    }
  }, 180_000);

  it('parks an event it cannot encode on the dead-letter topic and moves on', async () => {
    const path = join(dir, 'mixed.db');
    const topic = `${namespace}.mixed`;
    const store = new SqliteEventStore({ path });
    const probe = (note: string, extra: Record<string, string> = {}) => ({
      type: 'PipelineProbe',
      schemaVersion: 1,
      data: { probeId: note, sentAt: new Date().toISOString(), note, ...extra },
      metadata: { actor: { organisationId: 'org-op', principalId: 'p' }, correlationId: 'c' },
    });
    await store.append('case-m', [probe('first')], { expectedVersion: 'no_stream' });
    const bad = await store.append('case-m', [probe('bad', { notInTheMessage: 'x' })], {
      expectedVersion: 1,
    });
    await store.append('case-m', [probe('third')], { expectedVersion: 2 });
    const checkpoints = new SqliteCheckpointStore({ path });
    const bus = new KafkaBus({ brokers, clientId: `${namespace}-mixed` });
    const relay = new OutboxRelay({
      store,
      checkpoints,
      publisher: bus,
      codecs: probeCodecs(),
      topic,
      onUnpublishable: parkOnDeadLetterTopic(bus, topic),
    });
    const kafka = new Kafka({
      clientId: `${namespace}-mixed-reader`,
      brokers,
      logLevel: logLevel.NOTHING,
    });
    const reader = kafka.consumer({ groupId: `${namespace}.mixed-reader` });
    const notes: string[] = [];
    const parked: string[] = [];
    try {
      const progress = await relay.runOnce();
      expect(progress.checkpoint).toBe(3);
      await reader.connect();
      await reader.subscribe({ topics: [topic, deadLetterTopic(topic)], fromBeginning: true });
      await reader.run({
        eachMessage: ({ topic: from, message }) => {
          const value = message.value ?? Buffer.alloc(0);
          if (from === topic) notes.push(eventing.PipelineProbe.decode(value).note);
          else parked.push(eventing.DeadLetter.decode(value).eventId);
          return Promise.resolve();
        },
      });
      await eventually(
        'two events and one dead letter',
        () => notes.length === 2 && parked.length === 1,
      );
      expect(notes).toEqual(['first', 'third']);
      expect(parked).toEqual([bad.events[0]?.id]);
    } finally {
      await reader.disconnect();
      await bus.close();
      await checkpoints.close();
      await store.close();
    }
  });
});

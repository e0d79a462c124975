// Relay: OutboxRelay reading a MongoEventStore and publishing to Kafka through KafkaBus, against
// kafkajs producing the same records (key, value, headers) in batches of the same size, acks all.
import { randomBytes } from 'node:crypto';

import { Kafka, logLevel } from 'kafkajs';
import type { MongoClient } from 'mongodb';

import { MongoCheckpointStore, MongoEventStore } from '@aman/eventstore';
import { eventing } from '@aman/contracts';
import {
  EventCodecs,
  KafkaBus,
  OutboxRelay,
  bind,
  toHeaders,
  type BusMessage,
} from '@aman/messaging';

import { timedOnce, type Sample } from '../measure.ts';
import { freshDatabaseName } from '../tempDir.ts';

const BATCH = 500;
/** Events appended together while filling the store (untimed); each append is one event. */
const FILL_CHUNK = 200;

export interface RelayPair {
  readonly relay: Sample;
  readonly raw: Sample;
}

/** One run: a fresh database and topics, the relay's figure and then the raw producer's. */
export async function relayRun(
  client: MongoClient,
  brokers: readonly string[],
  events: number,
): Promise<RelayPair> {
  const database = freshDatabaseName('aman_relay');
  const topic = `bench.relay.${randomBytes(4).toString('hex')}`;
  const rawTopic = `${topic}.raw`;
  const bus = new KafkaBus({ brokers, clientId: 'aman-bench-relay', logLevel: logLevel.NOTHING });
  const kafka = new Kafka({
    clientId: 'aman-bench-raw',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  const store = await MongoEventStore.open({ client, database });
  // The pipeline probe: the one event type with no personal data (as the relay's own tests use).
  const codecs = new EventCodecs({
    source: '/aman/bench',
    bindings: [bind('PipelineProbe', 'aman.eventing.v1.PipelineProbe', eventing.PipelineProbe)],
  });
  try {
    await bus.ensureTopics([topic, rawTopic]);
    for (let first = 0; first < events; first += FILL_CHUNK) {
      await Promise.all(
        Array.from({ length: Math.min(FILL_CHUNK, events - first) }, (_, offset) =>
          store.append(
            `probe-${(first + offset) % 100}`,
            [
              {
                type: 'PipelineProbe',
                schemaVersion: 1,
                data: {
                  probeId: `p-${first + offset}`,
                  sentAt: new Date().toISOString(),
                  note: 'bench',
                },
                metadata: {
                  actor: { organisationId: 'org-bench', principalId: 'p' },
                  correlationId: 'c',
                },
              },
            ],
            { expectedVersion: 'any' },
          ),
        ),
      );
    }
    const relay = new OutboxRelay({
      store,
      checkpoints: new MongoCheckpointStore({ client, database }),
      publisher: bus,
      codecs,
      topic,
      batchSize: BATCH,
      onUnpublishable: () => Promise.reject(new Error('a probe event could not be encoded')),
    });
    const relaySample = await timedOnce(async () => (await relay.runOnce()).published);

    // The same records, encoded untimed, produced as the bus does: in order, acks from all.
    const messages: BusMessage[] = [];
    for (;;) {
      const page = await store.readAll({ after: messages.length, limit: BATCH });
      if (page.length === 0) break;
      messages.push(...page.map((event) => codecs.toBusMessage(event)));
    }
    await producer.connect();
    const rawSample = await timedOnce(async () => {
      for (let first = 0; first < messages.length; first += BATCH) {
        await producer.send({
          topic: rawTopic,
          acks: -1,
          messages: messages.slice(first, first + BATCH).map((message) => ({
            key: message.subject,
            value: Buffer.from(message.data),
            headers: toHeaders(message),
          })),
        });
      }
      return messages.length;
    });
    return { relay: relaySample, raw: rawSample };
  } finally {
    await producer.disconnect();
    await store.close();
    await bus.close();
    await client.db(database).dropDatabase();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, rawTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

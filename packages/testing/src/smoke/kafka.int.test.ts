import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';

import { describeWithKafka } from '../suites.ts';

// Proves the broker of this run is a real Kafka: admin topic creation, an idempotent producer,
// and a consumer group that receives the record with its headers.
describeWithKafka('Kafka smoke: producer → consumer group round trip', ({ brokers, namespace }) => {
  const kafka = new Kafka({ clientId: namespace, brokers, logLevel: logLevel.ERROR });
  const topic = `${namespace}.smoke`;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    consumer = kafka.consumer({ groupId: `${namespace}.group` });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  });

  it('creates a topic with the requested partition count', async () => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers a record with its key and headers through a consumer group', async () => {
    // kafkajs wants the subscription before run(); the first group join also waits for the broker
    // to create __consumer_offsets.
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<{ key: string; value: string; headers: Record<string, string> }>(
      (resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) {
              headers[name] = String(value);
            }
            resolve({ key: String(message.key), value: String(message.value), headers });
            return Promise.resolve();
          },
        });
      },
    );

    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: 'case-0001',
          value: 'synthetic payload',
          headers: {
            ce_type: 'aman.smoke.v1',
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        },
      ],
    });

    await expect(received).resolves.toEqual({
      key: 'case-0001',
      value: 'synthetic payload',
      headers: {
        ce_type: 'aman.smoke.v1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
  });
});

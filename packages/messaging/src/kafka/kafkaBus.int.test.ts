import { expect, it } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';

import { eventing } from '@aman/contracts';
import type { StoredEvent } from '@aman/eventstore';
import { uuidv7 } from '@aman/eventstore';
import { TcpProxy, describeWithKafka } from '@aman/testing';

import { busContract } from '../testing/busContract.ts';
import { probeCodecs } from '../testing/probe.ts';
import { KafkaBus, deadLetterTopic } from './kafkaBus.ts';
import type { DeadLetterRecord, BusMessage } from '../types.ts';

describeWithKafka('Kafka bus', ({ brokers, namespace }) => {
  busContract('Kafka', async () => {
    const topic = `${namespace}.events`;
    const codecs = probeCodecs();
    const bus = new KafkaBus({ brokers, clientId: namespace, partitions: 3 });
    await bus.ensureTopics([topic]);
    const versions = new Map<string, number>();
    const last = new Map<string, BusMessage>();

    // What the dead-letter topic holds, read by a group of the test's own.
    const kafka = new Kafka({ clientId: `${namespace}-dlt`, brokers, logLevel: logLevel.NOTHING });
    const letters: DeadLetterRecord[] = [];
    const dltConsumer = kafka.consumer({ groupId: `${namespace}.dlt-reader` });
    await dltConsumer.connect();
    await dltConsumer.subscribe({ topic: deadLetterTopic(topic), fromBeginning: true });
    await dltConsumer.run({
      eachMessage: ({ message }) => {
        const letter = eventing.DeadLetter.decode(message.value ?? Buffer.alloc(0));
        letters.push({
          topic: letter.sourceTopic,
          group: letter.consumerGroup,
          eventId: letter.eventId,
          errorCode: letter.errorCode,
          errorMessage: letter.errorMessage,
          attempts: letter.attempts,
        });
        return Promise.resolve();
      },
    });
    const raw = kafka.producer();
    await raw.connect();

    function probeEvent(stream: string, note: string): StoredEvent {
      const version = (versions.get(stream) ?? 0) + 1;
      versions.set(stream, version);
      const now = new Date().toISOString();
      return {
        id: uuidv7(),
        stream,
        version,
        position: 0,
        type: 'PipelineProbe',
        schemaVersion: 1,
        data: { probeId: `p-${note.slice(0, 40)}`, sentAt: now, note },
        occurredAt: now,
        recordedAt: now,
        metadata: { actor: { organisationId: 'org-op', principalId: 'probe' }, correlationId: 'c' },
        previousHash: '',
        hash: '',
      };
    }

    return {
      subscriber: bus,
      topic,
      codecs,
      produce: async (stream, notes) => {
        const messages = notes.map((note) => codecs.toBusMessage(probeEvent(stream, note)));
        await bus.publish(topic, messages);
        const final = messages[messages.length - 1];
        if (final !== undefined) last.set(stream, final);
        return messages.map((message) => message.id);
      },
      producePoison: async (stream) => {
        await raw.send({
          topic,
          messages: [{ key: stream, value: 'not a cloud event', headers: { ce_id: uuidv7() } }],
        });
      },
      redeliverLast: async (stream) => {
        const message = last.get(stream);
        if (message !== undefined) await bus.publish(topic, [message]);
      },
      deadLetters: (group) => Promise.resolve(letters.filter((letter) => letter.group === group)),
      dispose: async () => {
        await bus.close();
        await Promise.all([dltConsumer.disconnect(), raw.disconnect()]);
      },
    };
  });

  it('connects again once the broker answers, after a first connection that failed', async () => {
    // The bus's only seed broker is a port that refuses, then forwards to the real broker: as a
    // broker that is down when the service starts (or restarts under it), then comes back.
    const [host = '', port = ''] = (brokers[0] ?? '').split(':');
    const proxy = new TcpProxy({ host, port: Number(port) });
    await proxy.open();
    const proxyPort = proxy.port;
    await proxy.close();
    const bus = new KafkaBus({
      brokers: [`127.0.0.1:${String(proxyPort)}`],
      clientId: `${namespace}-late`,
    });
    try {
      await expect(bus.ping()).rejects.toThrow();
      await proxy.open();
      await expect(bus.ping()).resolves.toBeUndefined();
    } finally {
      await bus.close();
      await proxy.close();
    }
  }, 120_000);
});

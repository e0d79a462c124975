/**
 * The outbox relay as its own process, for the kill-and-restart test: relays the SQLite store at
 * <path> to <topic> on <brokers> until it is killed, printing `published <n>` after each batch.
 * Usage: relayProcess.ts <path> <brokers> <topic> <batchSize>
 *
 * RELAY_PAUSE_AFTER_PUBLISH_MS holds each batch between the broker's acknowledgement and the
 * checkpoint write, so a test can kill the relay exactly where a crash causes redelivery.
 */
import { SqliteCheckpointStore, SqliteEventStore } from '@aman/eventstore';

import { KafkaBus, parkOnDeadLetterTopic } from '../kafka/kafkaBus.ts';
import { OutboxRelay } from '../relay/outboxRelay.ts';
import { probeCodecs } from './probe.ts';

const [path, brokers, topic, batchSize] = process.argv.slice(2);
if (path === undefined || brokers === undefined || topic === undefined) {
  throw new Error('usage: relayProcess.ts <path> <brokers> <topic> <batchSize>');
}
const store = new SqliteEventStore({ path });
const checkpoints = new SqliteCheckpointStore({ path });
const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'relay-under-test' });
const relay = new OutboxRelay({
  store,
  checkpoints,
  publisher: {
    publish: async (t, messages) => {
      await bus.publish(t, messages);
      process.stdout.write(`published ${messages.length}\n`);
      const pause = Number(process.env['RELAY_PAUSE_AFTER_PUBLISH_MS'] ?? 0);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    },
    close: () => bus.close(),
  },
  codecs: probeCodecs(),
  topic,
  onUnpublishable: parkOnDeadLetterTopic(bus, topic),
  batchSize: Number(batchSize ?? 500),
  pollIntervalMs: 20,
});
relay.start((error) => {
  process.stderr.write(`relay batch failed: ${error instanceof Error ? error.name : 'error'}\n`);
});
process.on('SIGTERM', () => {
  void relay.stop().then(async () => {
    await bus.close();
    process.exit(0);
  });
});

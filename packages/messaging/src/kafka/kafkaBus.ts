import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type IHeaders,
  type KafkaConfig,
  type Producer,
} from 'kafkajs';

import { eventing } from '@aman/contracts';
import type { StoredEvent } from '@aman/eventstore';

import { fromHeaders, toHeaders, type Headers } from '../cloudevents.ts';
import { StreamVersionGuard, deliverWithRetries, describeFailure } from '../delivery.ts';
import type {
  BusMessage,
  Publisher,
  SubscribeOptions,
  Subscriber,
  Subscription,
} from '../types.ts';

/** SASL mechanisms the bus authenticates with: SCRAM only (PLAIN would send the password). */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** How the bus authenticates to the brokers and whether it speaks TLS to them. */
export interface KafkaSecurity {
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    /** A function, so the password never ends up in a logged or serialised configuration. */
    readonly password: () => string;
  };
  /** TLS with the system's CAs (and NODE_EXTRA_CA_CERTS). */
  readonly ssl?: boolean;
}

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Default: no authentication, no TLS (the local test brokers). */
  readonly security?: KafkaSecurity;
  /** Partitions for topics this bus creates (default 3). */
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** kafkajs log level (default ERROR); kafkajs logs carry no message contents. */
  readonly logLevel?: logLevel;
  /**
   * How long a consumer may go without a heartbeat before the group gives its partitions to
   * another member (default 30 s; heartbeats every tenth of it). A killed member's partitions
   * wait this long; a member paused longer loses them and gets them back on its next join.
   */
  readonly sessionTimeoutMs?: number;
}

const MAX_REQUEST_BYTES = 512 * 1024;

function approximateSize(message: BusMessage): number {
  let size = message.data.byteLength + message.subject.length;
  for (const [name, value] of Object.entries(toHeaders(message)))
    size += name.length + value.length;
  return size;
}

function chunksBySize(messages: readonly BusMessage[], limit: number): BusMessage[][] {
  const chunks: BusMessage[][] = [];
  let current: BusMessage[] = [];
  let size = 0;
  for (const message of messages) {
    const messageSize = approximateSize(message);
    if (current.length > 0 && size + messageSize > limit) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += messageSize;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** How far a consumer group is behind on one partition (what an operator watches). */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's next offset to read; -1 when it has committed none yet. */
  readonly committedOffset: number;
  /** The partition's high watermark. */
  readonly endOffset: number;
  /** Records the group has still to read (from the log's start when it committed none). */
  readonly lag: number;
}

/** The dead-letter topic of a topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlt`;
}

function headersOf(raw: IHeaders | undefined): Headers {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first.toString();
  }
  return headers;
}

/**
 * A kafkajs client once connected. A failed connection is forgotten (`forget`), so that the next
 * use connects again: kept, it would fail every later publish and health check of the process,
 * long after the broker came back.
 */
function connected<Client extends { connect: () => Promise<void> }>(
  client: Client,
  forget: () => void,
): Promise<Client> {
  return client.connect().then(
    () => client,
    (error: unknown) => {
      forget();
      throw error;
    },
  );
}

/** The kafkajs client configuration of a bus: the one place a Kafka client is configured. */
export function kafkaClientConfig(options: KafkaBusOptions): KafkaConfig {
  const { sasl, ssl } = options.security ?? {};
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.logLevel ?? logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 100 },
  };
  if (ssl === true) config.ssl = true;
  if (sasl !== undefined) {
    const credentials = { username: sasl.username, password: sasl.password() };
    // One literal per mechanism: kafkajs types each mechanism's options apart.
    config.sasl =
      sasl.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', ...credentials }
        : { mechanism: 'scram-sha-512', ...credentials };
  }
  return config;
}

/**
 * Kafka through kafkajs: an idempotent producer with acks=all, CloudEvents binary mode, key = case
 * id; consumers in groups with a per-stream version guard, retries, and a dead-letter topic so a
 * record that keeps failing never stalls its partition.
 */
export class KafkaBus implements Publisher, Subscriber {
  readonly #kafka: Kafka;
  readonly #options: KafkaBusOptions;
  readonly #knownTopics = new Set<string>();
  readonly #consumers = new Set<KafkaSubscription>();
  #producer: Promise<Producer> | undefined;
  #admin: Promise<Admin> | undefined;

  constructor(options: KafkaBusOptions) {
    this.#options = options;
    this.#kafka = new Kafka(kafkaClientConfig(options));
  }

  #connectedProducer(): Promise<Producer> {
    // One request in flight keeps per-partition order across retries; idempotence removes the
    // duplicates a retried send would otherwise write.
    this.#producer ??= connected(
      this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
      () => (this.#producer = undefined),
    );
    return this.#producer;
  }

  #connectedAdmin(): Promise<Admin> {
    this.#admin ??= connected(this.#kafka.admin(), () => (this.#admin = undefined));
    return this.#admin;
  }

  /** Creates the topics (and their dead-letter topics) with the configured partition count. */
  async ensureTopics(topics: readonly string[]): Promise<void> {
    const missing = topics
      .flatMap((topic) => [topic, deadLetterTopic(topic)])
      .filter((topic) => !this.#knownTopics.has(topic));
    if (missing.length === 0) return;
    const admin = await this.#connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const toCreate = missing.filter((topic) => !existing.has(topic));
    if (toCreate.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: toCreate.map((topic) => ({
          topic,
          numPartitions: this.#options.partitions ?? 3,
          replicationFactor: this.#options.replicationFactor ?? 1,
        })),
      });
    }
    for (const topic of missing) this.#knownTopics.add(topic);
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureTopics([topic]);
    const producer = await this.#connectedProducer();
    // Sent in order, in requests that stay under the broker's default 1 MB batch limit.
    for (const chunk of chunksBySize(messages, MAX_REQUEST_BYTES)) {
      await producer.send({
        topic,
        acks: -1,
        messages: chunk.map((message) => ({
          key: message.subject,
          value: Buffer.from(message.data),
          headers: toHeaders(message),
        })),
      });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.ensureTopics(options.topics);
    const sessionTimeout = this.#options.sessionTimeoutMs ?? 30_000;
    const consumer = this.#kafka.consumer({
      groupId: options.group,
      sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      // Processing is per message; the offset of a message is committed only after its handler
      // succeeded or it was dead-lettered.
      allowAutoTopicCreation: false,
    });
    const subscription = new KafkaSubscription(consumer, options, this);
    await subscription.start();
    this.#consumers.add(subscription);
    return {
      stop: async () => {
        this.#consumers.delete(subscription);
        await subscription.stop();
      },
    };
  }

  /**
   * The group's lag on every partition of `topics`: its committed offsets (admin fetchOffsets)
   * against each partition's high watermark (fetchTopicOffsets).
   */
  async consumerLag(group: string, topics: readonly string[]): Promise<PartitionLag[]> {
    const admin = await this.#connectedAdmin();
    const committed = new Map<string, number>();
    for (const { topic, partitions } of await admin.fetchOffsets({
      groupId: group,
      topics: [...topics],
    })) {
      for (const { partition, offset } of partitions) {
        committed.set(`${topic}\u0000${String(partition)}`, Number(offset));
      }
    }
    const lags: PartitionLag[] = [];
    for (const topic of topics) {
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const committedOffset = committed.get(`${topic}\u0000${String(partition)}`) ?? -1;
        const endOffset = Number(high);
        const from = committedOffset >= 0 ? committedOffset : Number(low);
        lags.push({
          topic,
          partition,
          committedOffset,
          endOffset,
          lag: Math.max(0, endOffset - from),
        });
      }
    }
    return lags.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Resolves when a broker of the cluster answers (its metadata): for health checks. */
  async ping(): Promise<void> {
    const admin = await this.#connectedAdmin();
    await admin.describeCluster();
  }

  /** The records a topic holds now (high minus low watermark, summed over its partitions). */
  async recordCount(topic: string): Promise<number> {
    const admin = await this.#connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
  }

  /** Parks a record on the dead-letter topic; resolves once the broker has it. */
  async deadLetter(record: eventing.DeadLetter): Promise<void> {
    const producer = await this.#connectedProducer();
    await this.ensureTopics([record.sourceTopic]);
    await producer.send({
      topic: deadLetterTopic(record.sourceTopic),
      acks: -1,
      messages: [
        {
          key: record.key.length > 0 ? Buffer.from(record.key) : null,
          value: Buffer.from(eventing.DeadLetter.encode(record).finish()),
          headers: {
            'content-type': 'application/protobuf',
            ce_type: 'aman.eventing.v1.DeadLetter',
          },
        },
      ],
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()));
    this.#consumers.clear();
    const producer = this.#producer;
    const admin = this.#admin;
    this.#producer = undefined;
    this.#admin = undefined;
    await Promise.all([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
  }
}

class KafkaSubscription {
  readonly #consumer: Consumer;
  readonly #options: SubscribeOptions;
  readonly #bus: KafkaBus;
  readonly #guard = new StreamVersionGuard();
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(consumer: Consumer, options: SubscribeOptions, bus: KafkaBus) {
    this.#consumer = consumer;
    this.#options = options;
    this.#bus = bus;
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#options.topics], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, partition, message }) => {
        const headers = headersOf(message.headers);
        let parsed: BusMessage;
        try {
          parsed = fromHeaders(headers, message.value);
        } catch (error) {
          // A poison record: no handler can make sense of it. Park it and move on.
          await this.#deadLetter(topic, partition, message, headers, describeFailure(error), 0);
          return;
        }
        if (this.#guard.alreadyApplied(parsed)) return;
        const outcome = await deliverWithRetries(
          this.#options,
          parsed,
          topic,
          () => this.#stopping,
        );
        if (!outcome.ok) {
          if (outcome.interrupted) {
            // Not committed: the next member of the group gets it again.
            throw new Error('subscription stopping');
          }
          await this.#deadLetter(topic, partition, message, headers, outcome, outcome.attempts);
        }
        this.#guard.markApplied(parsed);
      },
    });
  }

  async #deadLetter(
    topic: string,
    partition: number,
    message: { offset: string; key: Buffer | null; value: Buffer | null },
    headers: Headers,
    { errorCode, errorMessage }: { readonly errorCode: string; readonly errorMessage: string },
    attempts: number,
  ): Promise<void> {
    const now = new Date();
    await this.#bus.deadLetter({
      sourceTopic: topic,
      sourcePartition: partition,
      sourceOffset: message.offset,
      consumerGroup: this.#options.group,
      eventId: headers['ce_id'] ?? '',
      errorCode,
      errorMessage,
      attempts,
      firstFailedAt: now,
      deadLetteredAt: now,
      key: message.key ?? Buffer.alloc(0),
      value: message.value ?? Buffer.alloc(0),
      headers: Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]),
      ),
    });
  }

  stop(): Promise<void> {
    this.#stopping = true;
    // kafkajs waits for the message in hand and commits resolved offsets on disconnect.
    this.#stopped ??= this.#consumer.disconnect();
    return this.#stopped;
  }
}

/**
 * For OutboxRelay.onUnpublishable: records an event the relay could not encode on the topic's
 * dead-letter topic, by id and error only (no payload: it could not be encoded; it stays in the
 * store).
 */
export function parkOnDeadLetterTopic(
  bus: KafkaBus,
  topic: string,
): (event: StoredEvent, errorCode: string, errorMessage: string) => Promise<void> {
  return (event, errorCode, errorMessage) => {
    const now = new Date();
    return bus.deadLetter({
      sourceTopic: topic,
      sourcePartition: -1,
      sourceOffset: '',
      consumerGroup: 'outbox-relay',
      eventId: event.id,
      errorCode,
      errorMessage,
      attempts: 0,
      firstFailedAt: now,
      deadLetteredAt: now,
      key: Buffer.alloc(0),
      value: Buffer.alloc(0),
      headers: {},
    });
  };
}

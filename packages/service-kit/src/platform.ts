import { join } from 'node:path';

import { MongoClient } from 'mongodb';

import {
  MongoCheckpointStore,
  MongoEventStore,
  SqliteCheckpointStore,
  SqliteEventStore,
  type CheckpointStore,
  type EventStore,
  type JsonObject,
} from '@aman/eventstore';
import { CheckpointIssuer, type CheckpointSigner } from '@aman/evidence';
import {
  EmbeddedBus,
  KafkaBus,
  OutboxRelay,
  deadLetterTopic,
  parkOnDeadLetterTopic,
  type KafkaSecurity,
  type Subscriber,
  type Subscription,
} from '@aman/messaging';
import { MongoReadModelStore, SqliteReadModelStore, type ReadModelStore } from '@aman/projections';
import { MongoTimerStore, SqliteTimerStore, type TimerStore } from '@aman/timers';

import { CONTEXTS, codecsOf, type ContextName } from './contexts.ts';
import type { Logger } from './logger.ts';
import {
  COUNTER_NAME,
  type ConsumerProgress,
  type ConsumerTopicProgress,
  type PipelineStatus,
} from './pipeline.ts';
import { SpanKind, contextFromTraceparent, inSpan } from './telemetry.ts';
import { tracedEventStore } from './tracedEventStore.ts';
import { MongoWatchdog } from './mongoWatchdog.ts';
import { asOutage } from './outages.ts';
import { tracedPublisher } from './tracedPublisher.ts';
import { tracedTimerStore } from './timers.ts';

/** The mode is configuration alone: the code above these adapters is the same in both. */
export type PlatformConfig =
  | {
      readonly mode: 'embedded';
      readonly dataDir: string;
      /** The cap of the service's event store file (MB); past it writes are refused. */
      readonly sqliteMaxMb?: number;
    }
  | {
      readonly mode: 'distributed';
      readonly mongoUri: string;
      readonly kafkaBrokers: readonly string[];
      /** SASL/SCRAM and TLS towards the brokers (default neither). */
      readonly kafkaSecurity?: KafkaSecurity;
      /** A consumer's session timeout (default 30 s): how soon a dead member's partitions move. */
      readonly kafkaSessionTimeoutMs?: number;
      /** Prefix of every database name, e.g. `aman`. */
      readonly databasePrefix: string;
      /** Prefix of every topic and consumer group (default none): several platforms, one broker. */
      readonly topicPrefix?: string;
    };

/** An event as a consumer receives it, whatever the mode. */
export interface ConsumedEvent {
  readonly id: string;
  /** The producing context's CloudEvents source, e.g. `/aman/intake`. */
  readonly source: string;
  readonly stream: string;
  readonly version: number;
  /** The stored event type, e.g. `CaseSubmitted`. */
  readonly type: string;
  /** The event's data in its stored (protobuf JSON) form. */
  readonly data: JsonObject;
  readonly occurredAt: string;
  readonly traceparent: string | undefined;
}

/**
 * One service's view of the infrastructure: its own event store, read models and checkpoints,
 * publishing its events (a relay to Kafka, or nothing: in embedded mode the store is the log),
 * and consuming other contexts' events (Kafka, or tailing their SQLite files).
 */
export class Platform {
  readonly #config: PlatformConfig;
  readonly #service: string;
  readonly #logger: Logger;
  readonly #closers: (() => Promise<void>)[] = [];
  #mongo: MongoClient | undefined;
  #kafka: KafkaBus | undefined;
  #embedded: EmbeddedBus | undefined;
  /** The first event store the service opened: the one its checkpoints anchor. */
  #ownStore: EventStore | undefined;
  readonly #relays: { readonly topic: string; readonly relay: OutboxRelay }[] = [];
  readonly #subscriptions: {
    readonly name: string;
    readonly groupId: string;
    readonly contexts: readonly ContextName[];
  }[] = [];
  readonly #counters = new Map<string, () => Promise<number>>();

  constructor(config: PlatformConfig, service: string, logger: Logger) {
    this.#config = config;
    this.#service = service;
    this.#logger = logger;
  }

  get mode(): PlatformConfig['mode'] {
    return this.#config.mode;
  }

  #sqlitePath(kind: string, service = this.#service): string {
    if (this.#config.mode !== 'embedded') throw new Error('not in embedded mode');
    return join(this.#config.dataDir, `${service}.${kind}.db`);
  }

  async #client(): Promise<{ client: MongoClient; database: string }> {
    if (this.#config.mode !== 'distributed') throw new Error('not in distributed mode');
    if (this.#mongo === undefined) {
      this.#mongo = new MongoClient(this.#config.mongoUri);
      await this.#mongo.connect();
      const client = this.#mongo;
      const watchdog = new MongoWatchdog({
        client,
        uri: this.#config.mongoUri,
        logger: this.#logger,
      });
      watchdog.start();
      this.#closers.push(async () => {
        await watchdog.stop();
        await client.close();
      });
    }
    const database = `${this.#config.databasePrefix}_${this.#service.replaceAll('-', '_')}`;
    return { client: this.#mongo, database };
  }

  #kafkaBus(): KafkaBus {
    if (this.#config.mode !== 'distributed') throw new Error('not in distributed mode');
    if (this.#kafka === undefined) {
      const bus = new KafkaBus({
        brokers: this.#config.kafkaBrokers,
        clientId: this.#service,
        security: this.#config.kafkaSecurity ?? {},
        ...(this.#config.kafkaSessionTimeoutMs === undefined
          ? {}
          : { sessionTimeoutMs: this.#config.kafkaSessionTimeoutMs }),
      });
      this.#kafka = bus;
      this.#closers.push(() => bus.close());
    }
    return this.#kafka;
  }

  /** The service's own event store, with a span around every append. */
  async eventStore(): Promise<EventStore> {
    let store: EventStore;
    if (this.#config.mode === 'embedded') {
      store = new SqliteEventStore({
        path: this.#sqlitePath('events'),
        ...(this.#config.sqliteMaxMb === undefined ? {} : { maxSizeMb: this.#config.sqliteMaxMb }),
      });
    } else {
      store = await MongoEventStore.open(await this.#client());
    }
    this.#closers.push(() => store.close());
    const traced = tracedEventStore(store, this.#config.mode === 'embedded' ? 'sqlite' : 'mongodb');
    this.#ownStore ??= traced;
    return traced;
  }

  /**
   * Issues the service's evidence checkpoints over its own event store every `intervalMs` (the
   * first after one interval), published with its context's events. None when the service
   * opened no store or its events leave no context (nobody would collect them).
   */
  issueCheckpoints(signer: CheckpointSigner, intervalMs: number): CheckpointIssuer | undefined {
    const store = this.#ownStore;
    const publishes = Object.values(CONTEXTS).some((spec) => spec.service === this.#service);
    if (store === undefined || !publishes || intervalMs <= 0) return undefined;
    const issuer = new CheckpointIssuer({ store, signer });
    issuer.start(intervalMs, (error) => {
      this.#logger.error({ err: error }, 'evidence checkpoint failed');
    });
    this.#closers.push(() => issuer.stop());
    return issuer;
  }

  async readModels(): Promise<ReadModelStore> {
    const store =
      this.#config.mode === 'embedded'
        ? new SqliteReadModelStore({ path: this.#sqlitePath('readmodels') })
        : new MongoReadModelStore(await this.#client());
    this.#closers.push(() => store.close());
    return store;
  }

  /**
   * Where the service keeps secrets that erasure destroys (crypto-shredding's data keys): its own
   * SQLite file with secure delete in embedded mode, so a destroyed key leaves no copy in free
   * pages or the WAL. In distributed mode a collection of the service's database: what the
   * database keeps of deleted documents is its own (docs/adr/0006-crypto-shredding.md).
   */
  async vault(): Promise<ReadModelStore> {
    const store =
      this.#config.mode === 'embedded'
        ? new SqliteReadModelStore({ path: this.#sqlitePath('vault'), secureDelete: true })
        : new MongoReadModelStore(await this.#client());
    this.#closers.push(() => store.close());
    return store;
  }

  /**
   * The service's durable timers: `<service>.timers.db`, or collections of its database. Each
   * TimerRunner completes every timer it claims, so two runners with different handlers need
   * stores of their own: `name` gives one (`<service>.<name>.db`, or the `<name>` collections).
   */
  async timers(name = 'timers'): Promise<TimerStore> {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error('a timer store name is a-z, 0-9, _');
    const store =
      this.#config.mode === 'embedded'
        ? new SqliteTimerStore({ path: this.#sqlitePath(name) })
        : await MongoTimerStore.open({ ...(await this.#client()), collection: name });
    this.#closers.push(() => store.close());
    return tracedTimerStore(store);
  }

  async checkpoints(): Promise<CheckpointStore> {
    const store =
      this.#config.mode === 'embedded'
        ? new SqliteCheckpointStore({ path: this.#sqlitePath('checkpoints') })
        : new MongoCheckpointStore(await this.#client());
    this.#closers.push(() => store.close());
    return store;
  }

  /** What topics and consumer groups are prefixed with (distributed mode, when configured). */
  get #prefix(): string {
    return this.#config.mode === 'distributed' ? (this.#config.topicPrefix ?? '') : '';
  }

  #topic(context: ContextName): string {
    return `${this.#prefix}${CONTEXTS[context].topic}`;
  }

  /**
   * Gets this context's events to other services. Distributed: the outbox relay publishes the
   * store to Kafka. Embedded: nothing to do, consumers tail the store's file.
   */
  async publish(context: ContextName, store: EventStore): Promise<void> {
    if (this.#config.mode === 'embedded') return;
    const topic = this.#topic(context);
    const bus = this.#kafkaBus();
    const relay = new OutboxRelay({
      store,
      checkpoints: await this.checkpoints(),
      publisher: tracedPublisher(bus),
      codecs: codecsOf(context),
      topic,
      onUnpublishable: parkOnDeadLetterTopic(bus, topic),
    });
    relay.start((error) => {
      this.#logger.error({ err: error, topic }, 'relay batch failed');
    });
    this.#closers.push(() => relay.stop());
    this.#relays.push({ topic, relay });
  }

  /** Consumes the events of `contexts` as consumer group `group`, each in a span of its own trace. */
  async subscribe(
    group: string,
    contexts: readonly ContextName[],
    handler: (event: ConsumedEvent) => Promise<void>,
  ): Promise<Subscription> {
    const subscriber = this.#subscriber();
    const groupId = `${this.#prefix}${this.#service}.${group}`;
    const bySource = new Map<string, ContextName>(
      contexts.map((name) => [CONTEXTS[name].source, name]),
    );
    // One event at a time per subscription, whichever topic it comes from: the embedded bus tails
    // each producer's store in a loop of its own, and a handler that reads and writes a read
    // model (a projection, an index) must never interleave with itself. Kafka delivers so too.
    const oneAtATime = serialQueue();
    const subscription = await subscriber.subscribe({
      group: groupId,
      topics: contexts.map((name) => this.#topic(name)),
      handler: (message) =>
        oneAtATime(async () => {
          const context = bySource.get(message.source);
          if (context === undefined) return;
          const codecs = codecsOf(context);
          const event: ConsumedEvent = {
            id: message.id,
            source: message.source,
            stream: message.stream,
            version: message.streamVersion,
            type: codecs.eventTypeOf(message.type),
            data: codecs.decode(message),
            occurredAt: message.time,
            traceparent: message.traceparent,
          };
          // The event's stored trace continues here: one submission is one trace.
          await inSpan(
            `consume ${message.type}`,
            {
              kind: SpanKind.CONSUMER,
              parent: contextFromTraceparent(message.traceparent),
              attributes: {
                'messaging.system': this.#config.mode === 'embedded' ? 'aman-embedded' : 'kafka',
                'messaging.destination.name': this.#topic(context),
                'messaging.consumer.group.name': group,
                'messaging.operation.type': 'process',
                'messaging.message.id': message.id,
                'aman.stream': message.stream,
                'aman.event.type': event.type,
              },
            },
            async () => {
              try {
                await handler(event);
              } catch (error) {
                // A database outage is waited out, never a reason to dead-letter the event.
                throw asOutage(error);
              }
              this.#logger.debug({ group, type: event.type }, 'event consumed');
            },
          );
        }),
    });
    this.#closers.push(() => subscription.stop());
    this.#subscriptions.push({ name: group, groupId, contexts });
    return subscription;
  }

  /**
   * Whether what the service depends on answers now: its own event store (when it opened one)
   * and, distributed, the Kafka cluster. Its gRPC health follows this (runService).
   */
  async healthy(): Promise<boolean> {
    try {
      await Promise.all([
        this.#ownStore?.headPosition(),
        this.#config.mode === 'distributed' ? this.#kafkaBus().ping() : undefined,
      ]);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Adds a service-specific number to the pipeline status (e.g. referral's webhook dead
   * letters): `read` is called on every status request. The name is an identifier, never data.
   */
  registerCounter(name: string, read: () => Promise<number>): void {
    if (!COUNTER_NAME.test(name)) throw new Error(`a counter name is ${COUNTER_NAME.source}`);
    if (this.#counters.has(name)) throw new Error(`counter ${name} is already registered`);
    this.#counters.set(name, read);
  }

  /**
   * Where the service's pipeline stands now: its store's head, each relay's backlog, each
   * subscription's lag and dead letters per topic, and the registered counters.
   */
  async pipelineStatus(): Promise<PipelineStatus> {
    const [headPosition, relays, consumers, counters] = await Promise.all([
      this.#ownStore?.headPosition(),
      Promise.all(
        this.#relays.map(async ({ topic, relay }) => ({ topic, ...(await relay.backlog()) })),
      ),
      Promise.all(this.#subscriptions.map((subscription) => this.#consumerProgress(subscription))),
      Promise.all([...this.#counters].map(async ([name, read]) => ({ name, value: await read() }))),
    ]);
    return { service: this.#service, mode: this.mode, headPosition, relays, consumers, counters };
  }

  async #consumerProgress(subscription: {
    readonly name: string;
    readonly groupId: string;
    readonly contexts: readonly ContextName[];
  }): Promise<ConsumerProgress> {
    const { name, groupId, contexts } = subscription;
    const topics = await Promise.all(
      contexts.map(async (context): Promise<ConsumerTopicProgress> => {
        const topic = this.#topic(context);
        if (this.#config.mode === 'embedded') {
          const progress = await this.#embeddedBus().progress(groupId, topic);
          return {
            mode: 'embedded',
            context,
            topic,
            lag: progress.lag,
            deadLetters: progress.deadLetters,
            checkpointPosition: progress.checkpoint,
            sourceHeadPosition: progress.headPosition,
          };
        }
        const bus = this.#kafkaBus();
        const [partitions, deadLetters] = await Promise.all([
          bus.consumerLag(groupId, [topic]),
          bus.recordCount(deadLetterTopic(topic)),
        ]);
        const lag = partitions.reduce((sum, partition) => sum + partition.lag, 0);
        return { mode: 'distributed', context, topic, lag, deadLetters, partitions };
      }),
    );
    return { name, groupId, topics };
  }

  #subscriber(): Subscriber {
    return this.#config.mode === 'distributed' ? this.#kafkaBus() : this.#embeddedBus();
  }

  #embeddedBus(): EmbeddedBus {
    if (this.#embedded === undefined) {
      const topics = Object.fromEntries(
        (Object.keys(CONTEXTS) as ContextName[]).map((name) => [
          CONTEXTS[name].topic,
          { path: this.#sqlitePath('events', CONTEXTS[name].service), codecs: codecsOf(name) },
        ]),
      );
      const bus = new EmbeddedBus({
        topics,
        statePath: this.#sqlitePath('bus'),
        onError: (error) => {
          this.#logger.warn({ err: error }, 'embedded bus poll failed; retrying');
        },
      });
      this.#embedded = bus;
      this.#closers.push(() => bus.close());
    }
    return this.#embedded;
  }

  /** Stops relays and subscriptions, then closes stores and connections, newest first. */
  async close(): Promise<void> {
    for (const close of this.#closers.reverse()) {
      try {
        await close();
      } catch (error) {
        this.#logger.warn({ err: error }, 'a resource failed to close');
      }
    }
    this.#closers.length = 0;
  }
}

/** Runs the work it is given one after another, each once the one before has settled. */
function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = last.then(work, work);
    last = next.catch(() => undefined);
    return next;
  };
}

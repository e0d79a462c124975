import type Database from 'better-sqlite3';

import { ValidationError } from '@aman/errors';
import {
  SqliteCheckpointStore,
  SqliteEventStore,
  StopSignal,
  openSqlite,
  type StoredEvent,
  type UpcasterRegistry,
} from '@aman/eventstore';

import type { EventCodecs } from '../codecs.ts';
import { StreamVersionGuard, deliverWithRetries, describeFailure } from '../delivery.ts';
import type {
  BusMessage,
  DeadLetterRecord,
  SubscribeOptions,
  Subscriber,
  Subscription,
} from '../types.ts';

export interface EmbeddedTopic {
  /** The producing service's SQLite event store file: in embedded mode the store is the log. */
  readonly path: string;
  readonly codecs: EventCodecs;
  /** The producer's upcasters, so old events reach the codecs in the shape they expect. */
  readonly upcasters?: UpcasterRegistry;
}

export interface EmbeddedBusOptions {
  readonly topics: Readonly<Record<string, EmbeddedTopic>>;
  /** This consumer's own SQLite file: per-group checkpoints and dead letters. */
  readonly statePath: string;
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** Told about a failed poll (a locked or unreadable store); the subscription retries. */
  readonly onError?: (error: unknown) => void;
}

/** Where one group's position in one topic is checkpointed. */
function checkpointName(group: string, topic: string): string {
  return `${group}:${topic}`;
}

/** One group's progress through one embedded topic. */
export interface EmbeddedProgress {
  /** The producer's store head position. */
  readonly headPosition: number;
  /** The position the group has processed up to. */
  readonly checkpoint: number;
  /** headPosition minus checkpoint. */
  readonly lag: number;
  /** The group's dead letters from the topic. */
  readonly deadLetters: number;
}

/**
 * The bus of the embedded mode: subscribers tail the producing services' SQLite stores (other
 * processes on this machine) by global position, with durable per-group checkpoints. Delivery is
 * what the Kafka adapter gives: at least once, in order per stream, a per-stream version guard,
 * retries, and a dead-letter table so a failing event never stalls the rest.
 */
export class EmbeddedBus implements Subscriber {
  readonly #options: EmbeddedBusOptions;
  readonly #checkpoints: SqliteCheckpointStore;
  readonly #state: Database.Database;
  readonly #subscriptions = new Set<EmbeddedSubscription>();

  constructor(options: EmbeddedBusOptions) {
    this.#options = options;
    // Losing the last checkpoint or dead-letter write in an OS crash only means redelivery,
    // which consumers handle, so the state file does not pay an fsync per event.
    this.#checkpoints = new SqliteCheckpointStore({
      path: options.statePath,
      synchronous: 'normal',
    });
    this.#state = openSqlite(options.statePath, { synchronous: 'normal' });
    this.#state.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
      id INTEGER PRIMARY KEY, consumer_group TEXT NOT NULL, topic TEXT NOT NULL,
      event_id TEXT NOT NULL, position INTEGER NOT NULL, error_code TEXT NOT NULL,
      error_message TEXT NOT NULL, attempts INTEGER NOT NULL, dead_lettered_at TEXT NOT NULL) STRICT`);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    const subscriptions = options.topics.map((topic) => {
      const source = this.#options.topics[topic];
      if (source === undefined) {
        throw new ValidationError(`topic ${topic} is not configured for the embedded bus`);
      }
      return new EmbeddedSubscription(topic, source, options, this);
    });
    for (const subscription of subscriptions) {
      this.#subscriptions.add(subscription);
      subscription.start();
    }
    return Promise.resolve({
      stop: async () => {
        await Promise.all(subscriptions.map((subscription) => subscription.stop()));
        for (const subscription of subscriptions) this.#subscriptions.delete(subscription);
      },
    });
  }

  get checkpoints(): SqliteCheckpointStore {
    return this.#checkpoints;
  }

  get pollIntervalMs(): number {
    return this.#options.pollIntervalMs ?? 50;
  }

  reportError(error: unknown): void {
    this.#options.onError?.(error);
  }

  get batchSize(): number {
    return this.#options.batchSize ?? 200;
  }

  recordDeadLetter(record: DeadLetterRecord & { readonly position: number }): void {
    this.#state
      .prepare(
        `INSERT INTO dead_letters (consumer_group, topic, event_id, position, error_code,
           error_message, attempts, dead_lettered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.group,
        record.topic,
        record.eventId,
        record.position,
        record.errorCode,
        record.errorMessage,
        record.attempts,
        new Date().toISOString(),
      );
  }

  /**
   * How far `group` is behind on `topic`: the producer's store head against the group's
   * checkpoint (positions, which the tail advances past events that stay in their context too),
   * and how many of the topic's events it dead-lettered.
   */
  async progress(group: string, topic: string): Promise<EmbeddedProgress> {
    const source = this.#options.topics[topic];
    if (source === undefined) {
      throw new ValidationError(`topic ${topic} is not configured for the embedded bus`);
    }
    const store = new SqliteEventStore({ path: source.path });
    let headPosition: number;
    try {
      headPosition = await store.headPosition();
    } finally {
      await store.close();
    }
    const checkpoint = await this.#checkpoints.load(checkpointName(group, topic));
    const deadLetters =
      this.#state
        .prepare<[string, string], { n: number }>(
          'SELECT COUNT(*) AS n FROM dead_letters WHERE consumer_group = ? AND topic = ?',
        )
        .get(group, topic)?.n ?? 0;
    return { headPosition, checkpoint, lag: Math.max(0, headPosition - checkpoint), deadLetters };
  }

  deadLetters(group: string, topic: string): DeadLetterRecord[] {
    return this.#state
      .prepare<
        [string, string],
        {
          event_id: string;
          error_code: string;
          error_message: string;
          attempts: number;
        }
      >(
        `SELECT event_id, error_code, error_message, attempts FROM dead_letters
         WHERE consumer_group = ? AND topic = ? ORDER BY id`,
      )
      .all(group, topic)
      .map((row) => ({
        topic,
        group,
        eventId: row.event_id,
        errorCode: row.error_code,
        errorMessage: row.error_message,
        attempts: row.attempts,
      }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    this.#subscriptions.clear();
    await this.#checkpoints.close();
    this.#state.close();
  }
}

class EmbeddedSubscription {
  readonly #topic: string;
  readonly #source: EmbeddedTopic;
  readonly #options: SubscribeOptions;
  readonly #bus: EmbeddedBus;
  readonly #guard = new StreamVersionGuard();
  readonly #checkpoint: string;
  readonly #signal = new StopSignal();
  #loop: Promise<void> | undefined;

  constructor(topic: string, source: EmbeddedTopic, options: SubscribeOptions, bus: EmbeddedBus) {
    this.#topic = topic;
    this.#source = source;
    this.#options = options;
    this.#bus = bus;
    this.#checkpoint = checkpointName(options.group, topic);
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Tails until stopped; a failed poll (locked file, I/O) is reported and tried again. */
  async #run(): Promise<void> {
    let backoff = this.#bus.pollIntervalMs;
    while (!this.#signal.isStopped()) {
      try {
        await this.#tail();
      } catch (error) {
        this.#bus.reportError(error);
        await this.#signal.sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  async #tail(): Promise<void> {
    const store = new SqliteEventStore({
      path: this.#source.path,
      ...(this.#source.upcasters === undefined ? {} : { upcasters: this.#source.upcasters }),
    });
    try {
      let after = await this.#bus.checkpoints.load(this.#checkpoint);
      while (!this.#signal.isStopped()) {
        const page = await store.readAll({ after, limit: this.#bus.batchSize });
        if (page.length === 0) {
          await this.#signal.sleep(this.#bus.pollIntervalMs);
          continue;
        }
        for (const event of page) {
          if (this.#signal.isStopped()) break;
          if (!(await this.#process(event))) break;
          after = event.position;
          await this.#bus.checkpoints.save(this.#checkpoint, after);
        }
      }
    } finally {
      await store.close();
    }
  }

  /** False when the subscription stopped mid-delivery: the event stays unacknowledged. */
  async #process(event: StoredEvent): Promise<boolean> {
    const codecs = this.#source.codecs;
    // Events without a protobuf binding are private to their context: they never leave it.
    if (!codecs.publishes(event.type)) return true;
    let message: BusMessage;
    try {
      message = codecs.toBusMessage(event);
    } catch (error) {
      this.#deadLetter(event, describeFailure(error), 0);
      return true;
    }
    if (this.#guard.alreadyApplied(message)) return true;
    const outcome = await deliverWithRetries(this.#options, message, this.#topic, () =>
      this.#signal.isStopped(),
    );
    if (!outcome.ok) {
      if (outcome.interrupted) return false;
      this.#deadLetter(event, outcome, outcome.attempts);
    }
    this.#guard.markApplied(message);
    return true;
  }

  #deadLetter(
    event: StoredEvent,
    failure: { readonly errorCode: string; readonly errorMessage: string },
    attempts: number,
  ): void {
    this.#bus.recordDeadLetter({
      topic: this.#topic,
      group: this.#options.group,
      eventId: event.id,
      position: event.position,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      attempts,
    });
  }

  async stop(): Promise<void> {
    this.#signal.stop();
    await this.#loop;
  }
}

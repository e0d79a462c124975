import {
  StopSignal,
  type CheckpointStore,
  type EventStore,
  type StoredEvent,
} from '@aman/eventstore';

import type { EventCodecs } from '../codecs.ts';
import { describeFailure } from '../delivery.ts';
import type { BusMessage, Publisher } from '../types.ts';

export interface OutboxRelayOptions {
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  readonly publisher: Publisher;
  readonly codecs: EventCodecs;
  /** The context's topic, e.g. `aman.intake.v1`. */
  readonly topic: string;
  /** Checkpoint name (default `relay:<topic>`). */
  readonly name?: string;
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  /**
   * Called for an event that cannot be encoded (a producer bug); the relay then moves past it so
   * one bad event cannot stop the context's whole stream. Required, so that where such events
   * go is decided where the relay is wired — `parkOnDeadLetterTopic` records them on the topic's
   * dead-letter topic. The event itself stays in the store.
   */
  readonly onUnpublishable: (
    event: StoredEvent,
    errorCode: string,
    errorMessage: string,
  ) => Promise<void>;
}

export interface RelayProgress {
  readonly checkpoint: number;
  readonly published: number;
}

/**
 * The event store is the outbox: the relay reads stored events by global position and publishes
 * them, at least once and in version order per stream, advancing its checkpoint only after the
 * broker acknowledged the whole batch. Killed at any instruction, it resumes from the last
 * acknowledged batch; the duplicates that can cause are dropped by consumers' version guards.
 */
export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #name: string;
  readonly #signal = new StopSignal();
  #loop: Promise<void> | undefined;
  #published = 0;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
    this.#name = options.name ?? `relay:${options.topic}`;
  }

  /** Publishes everything up to the current head once; returns how far it got. */
  async runOnce(): Promise<RelayProgress> {
    let checkpoint = await this.#options.checkpoints.load(this.#name);
    for (;;) {
      const page = await this.#options.store.readAll({
        after: checkpoint,
        limit: this.#options.batchSize ?? 500,
      });
      if (page.length === 0) return { checkpoint, published: this.#published };
      const messages: BusMessage[] = [];
      for (const event of page) {
        if (!this.#options.codecs.publishes(event.type)) continue;
        try {
          messages.push(this.#options.codecs.toBusMessage(event));
        } catch (error) {
          const { errorCode, errorMessage } = describeFailure(error);
          await this.#options.onUnpublishable(event, errorCode, errorMessage);
        }
      }
      await this.#options.publisher.publish(this.#options.topic, messages);
      this.#published += messages.length;
      const last = page[page.length - 1];
      if (last === undefined) return { checkpoint, published: this.#published };
      checkpoint = last.position;
      await this.#options.checkpoints.save(this.#name, checkpoint);
      if (this.#signal.isStopped()) return { checkpoint, published: this.#published };
    }
  }

  /** The relay's checkpoint (published up to) and the events stored after it, not yet published. */
  async backlog(): Promise<{ readonly publishedPosition: number; readonly backlog: number }> {
    const [publishedPosition, headPosition] = await Promise.all([
      this.#options.checkpoints.load(this.#name),
      this.#options.store.headPosition(),
    ]);
    return { publishedPosition, backlog: Math.max(0, headPosition - publishedPosition) };
  }

  /** Keeps relaying until stop(); a failed batch is retried after the poll interval. */
  start(onError: (error: unknown) => void = () => undefined): void {
    this.#loop ??= (async () => {
      while (!this.#signal.isStopped()) {
        try {
          await this.runOnce();
        } catch (error) {
          onError(error);
        }
        await this.#signal.sleep(this.#options.pollIntervalMs ?? 50);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#signal.stop();
    await this.#loop;
  }
}

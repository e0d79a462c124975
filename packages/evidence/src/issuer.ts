import { ConcurrencyError } from '@aman/errors';
import type { EventStore } from '@aman/eventstore';

import {
  CHECKPOINT_FORMAT,
  FIRST_PREVIOUS_HASH,
  checkpointBytes,
  checkpointHash,
  parseCheckpoint,
  type CheckpointBody,
  type CheckpointSigner,
  type SignedCheckpoint,
} from './checkpoint.ts';
import { merkleRoot } from './merkle.ts';

/** The stream of a service's own store that holds its checkpoints, one event each. */
export const CHECKPOINT_STREAM = 'evidence-checkpoints';
/** The event type of a checkpoint in its service's store; it leaves the context on the bus. */
export const CHECKPOINT_ISSUED = 'EvidenceCheckpointIssued';

/**
 * Computes, signs and appends a service's checkpoints over its own store. The checkpoint is an
 * event of that store, so it leaves the service the way every event does (the outbox relay, or
 * the file consumers tail), and the next checkpoint covers it.
 */
export class CheckpointIssuer {
  readonly #store: EventStore;
  readonly #signer: CheckpointSigner;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: {
    readonly store: EventStore;
    readonly signer: CheckpointSigner;
    readonly clock?: () => Date;
  }) {
    this.#store = options.store;
    this.#signer = options.signer;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The service's newest checkpoint in its store, if any. */
  async latest(): Promise<SignedCheckpoint | undefined> {
    const version = await this.#store.streamVersion(CHECKPOINT_STREAM);
    if (version === undefined) return undefined;
    const [event] = await this.#store.readStream(CHECKPOINT_STREAM, {
      fromVersion: version,
      limit: 1,
    });
    return event === undefined ? undefined : parseCheckpoint(event.data);
  }

  /**
   * Issues a checkpoint, unless nothing was appended since the last one (then undefined, or the
   * same again with `force`). Another instance issuing at the same moment wins the race and
   * this one issues nothing: the chain never forks.
   */
  async issue(options: { readonly force?: boolean } = {}): Promise<SignedCheckpoint | undefined> {
    const version = await this.#store.streamVersion(CHECKPOINT_STREAM);
    const previousEvent =
      version === undefined
        ? undefined
        : (await this.#store.readStream(CHECKPOINT_STREAM, { fromVersion: version, limit: 1 }))[0];
    const headPosition = await this.#store.headPosition();
    if (previousEvent?.position === headPosition && options.force !== true) return undefined;
    const heads = await this.#store.streamHeads(headPosition);
    const body: CheckpointBody = {
      format: CHECKPOINT_FORMAT,
      service: this.#signer.service,
      sequence: (version ?? 0) + 1,
      headPosition,
      streamCount: heads.length,
      merkleRoot: merkleRoot(heads),
      createdAt: this.#clock().toISOString(),
      previousHash:
        previousEvent === undefined
          ? FIRST_PREVIOUS_HASH
          : checkpointHash(parseCheckpoint(previousEvent.data)),
    };
    const signed: SignedCheckpoint = {
      ...body,
      signature: await this.#signer.sign(checkpointBytes(body)),
    };
    try {
      await this.#store.append(
        CHECKPOINT_STREAM,
        [
          {
            type: CHECKPOINT_ISSUED,
            schemaVersion: 1,
            data: signed,
            metadata: {
              actor: { organisationId: 'aman', principalId: `${body.service}-evidence` },
              correlationId: `checkpoint-${body.service}-${body.sequence}`,
            },
          },
        ],
        { expectedVersion: version ?? 'no_stream' },
      );
    } catch (error) {
      if (error instanceof ConcurrencyError) return undefined;
      throw error;
    }
    return signed;
  }

  /** Issues every `intervalMs` (the first after one interval); errors go to `onError`. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running !== undefined) return;
      this.#running = this.issue()
        .catch(onError)
        .finally(() => {
          this.#running = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the schedule and waits for a checkpoint in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

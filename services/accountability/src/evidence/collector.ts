import {
  CHECKPOINT_COLLECTED,
  CHECKPOINT_ISSUED,
  CHECKPOINT_REFUSED,
  FIRST_PREVIOUS_HASH,
  KeyDirectory,
  checkpointHash,
  collectedStreamOf,
  parseCheckpoint,
  signatureHolds,
  type PublicKeys,
  type SignedCheckpoint,
} from '@aman/evidence';
import { handleCommand, type Decider, type EventStore } from '@aman/eventstore';
import {
  CONTEXTS,
  type ConsumedEvent,
  type ContextName,
  type Logger,
  type Platform,
  type ServiceIdentity,
} from '@aman/service-kit';

/** A checkpoint as it reached accountability: from which context, and whether its key signed it. */
export interface CollectCheckpoint {
  readonly checkpoint: SignedCheckpoint;
  /** The service whose context published it. */
  readonly publishedBy: string;
  readonly signed: boolean;
}

export type LedgerEvent =
  | { readonly type: typeof CHECKPOINT_COLLECTED; readonly data: SignedCheckpoint }
  | {
      readonly type: typeof CHECKPOINT_REFUSED;
      readonly data: {
        readonly service: string;
        readonly sequence: number;
        readonly checkpointHash: string;
        readonly reason: string;
      };
    };

/** The newest checkpoint kept of one service. */
export interface Ledger {
  readonly last: { readonly sequence: number; readonly hash: string } | undefined;
}

function refuse(command: CollectCheckpoint, reason: string): LedgerEvent {
  const { checkpoint } = command;
  return {
    type: CHECKPOINT_REFUSED,
    data: {
      service: checkpoint.service,
      sequence: checkpoint.sequence,
      checkpointHash: checkpointHash(checkpoint),
      reason,
    },
  };
}

/**
 * One service's checkpoints in accountability's log: kept when its own key signed them, it
 * published them itself, and each links to the one kept before; a redelivery keeps nothing;
 * anything else is refused, with the reason, so the attempt itself is on record.
 */
export const ledger: Decider<Ledger, CollectCheckpoint, LedgerEvent> = {
  initialState: () => ({ last: undefined }),
  decide: (command, state) => {
    const { checkpoint } = command;
    if (!command.signed) return refuse(command, "not signed by the service's key");
    if (command.publishedBy !== checkpoint.service) {
      return refuse(command, "published by another service's context");
    }
    const last = state.last;
    if (last !== undefined && checkpoint.sequence <= last.sequence) {
      return checkpoint.sequence === last.sequence && checkpointHash(checkpoint) !== last.hash
        ? refuse(command, 'a second checkpoint with the same sequence: the chain forks')
        : [];
    }
    const expected =
      checkpoint.sequence === 1
        ? FIRST_PREVIOUS_HASH
        : last?.sequence === checkpoint.sequence - 1
          ? last.hash
          : undefined;
    if (expected !== undefined && checkpoint.previousHash !== expected) {
      return refuse(command, 'does not link to the checkpoint before it: the chain forks');
    }
    return { type: CHECKPOINT_COLLECTED, data: checkpoint };
  },
  evolve: (state, event) =>
    event.type === CHECKPOINT_COLLECTED
      ? { last: { sequence: event.data.sequence, hash: checkpointHash(event.data) } }
      : state,
};

const SERVICE_OF_SOURCE = new Map<string, string>(
  Object.values(CONTEXTS).map((spec) => [spec.source, spec.service]),
);

/** Keeps every service's published checkpoints in accountability's own log. */
export class CheckpointCollector {
  readonly #store: EventStore;
  readonly #keys: PublicKeys;
  readonly #logger: Logger | undefined;

  constructor(store: EventStore, keys: PublicKeys, logger?: Logger) {
    this.#store = store;
    this.#keys = keys;
    this.#logger = logger;
  }

  async handle(event: ConsumedEvent): Promise<void> {
    if (event.type !== CHECKPOINT_ISSUED) return;
    let checkpoint: SignedCheckpoint;
    try {
      checkpoint = parseCheckpoint(event.data);
    } catch (error) {
      this.#logger?.warn({ err: error, source: event.source }, 'malformed checkpoint ignored');
      return;
    }
    await handleCommand(
      this.#store,
      collectedStreamOf(checkpoint.service),
      ledger,
      {
        checkpoint,
        publishedBy: SERVICE_OF_SOURCE.get(event.source) ?? '',
        signed: await signatureHolds(checkpoint, this.#keys),
      },
      {
        metadata: {
          actor: { organisationId: 'aman', principalId: 'accountability-evidence' },
          correlationId: `checkpoint-${checkpoint.service}-${checkpoint.sequence}`,
          causationId: event.id,
        },
      },
    );
  }
}

/** Subscribes accountability to every context's checkpoints. */
export async function startEvidenceCollector(kit: {
  readonly platform: Platform;
  readonly identity: ServiceIdentity;
  readonly logger: Logger;
}): Promise<void> {
  const store = await kit.platform.eventStore();
  const collector = new CheckpointCollector(
    store,
    new KeyDirectory(kit.identity.keysDir),
    kit.logger,
  );
  await kit.platform.subscribe('evidence', Object.keys(CONTEXTS) as ContextName[], (event) =>
    collector.handle(event),
  );
}

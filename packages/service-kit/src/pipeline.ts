import type { PartitionLag } from '@aman/messaging';

import type { ContextName } from './contexts.ts';

/**
 * One service's pipeline as numbers: what `Platform.pipelineStatus()` gathers, for the operator's
 * RPC and for anything else that reports it (metrics). Names are of services, contexts, topics,
 * groups and counters only: never personal data.
 */
export interface PipelineStatus {
  readonly service: string;
  readonly mode: 'embedded' | 'distributed';
  /** The head position of the service's own event store; undefined when it opened none. */
  readonly headPosition: number | undefined;
  /** The outbox relays (distributed mode only). */
  readonly relays: readonly RelayProgressStatus[];
  readonly consumers: readonly ConsumerProgress[];
  readonly counters: readonly { readonly name: string; readonly value: number }[];
}

export interface RelayProgressStatus {
  readonly topic: string;
  /** The relay's checkpoint: published and acknowledged up to this position. */
  readonly publishedPosition: number;
  /** The store's head position minus publishedPosition. */
  readonly backlog: number;
}

export interface ConsumerProgress {
  /** The subscription's name in its service, e.g. `routing`. */
  readonly name: string;
  /** The consumer group (service and topic prefix included). */
  readonly groupId: string;
  readonly topics: readonly ConsumerTopicProgress[];
}

export type ConsumerTopicProgress = {
  readonly context: ContextName;
  readonly topic: string;
  /** Events not yet processed. */
  readonly lag: number;
  /** Embedded: this group's dead letters; distributed: the records on `<topic>.dlt`. */
  readonly deadLetters: number;
} & (
  | {
      readonly mode: 'embedded';
      readonly checkpointPosition: number;
      readonly sourceHeadPosition: number;
    }
  | { readonly mode: 'distributed'; readonly partitions: readonly PartitionLag[] }
);

/** What a counter may be called: it names a thing counted, never a person or a record. */
export const COUNTER_NAME = /^[a-z][a-z0-9_]{0,62}$/;

import { ConcurrencyError } from '@aman/errors';

import type { DomainEvent, EventMetadata, EventStore, NewEvent, StoredEvent } from '../types.ts';
import type { Decider } from './decider.ts';

export interface CommandOptions<E extends DomainEvent> {
  /** Who, in which journey, caused the command; stamped on every event it decides. */
  readonly metadata: EventMetadata;
  /** The schema version each event type is written with (default 1). */
  readonly schemaVersions?: Partial<Record<E['type'], number>>;
  /** Attempts in all when other writers keep winning the race (default 5). */
  readonly maxAttempts?: number;
  /**
   * The version the caller's decision rests on (a person edited what they read): any other
   * version is a ConcurrencyError at once, not retried, so nothing changed since is overwritten
   * unseen.
   */
  readonly expectedVersion?: number;
}

export interface CommandResult<State, E extends DomainEvent> {
  readonly state: State;
  /** The events this command appended (none when it decided nothing). */
  readonly events: readonly StoredEvent<E>[];
  /** The stream's version afterwards; undefined when the stream still does not exist. */
  readonly version: number | undefined;
}

const DEFAULT_ATTEMPTS = 5;

/**
 * Reads the stream, folds it into the state, decides, and appends at the version it read. A lost
 * race (ConcurrencyError) means the decision was made on an old state: read and decide again, a
 * few times with a short random pause. Any other error, IdempotencyConflictError included, is the
 * caller's: trying again cannot change it.
 */
export async function handleCommand<State, Command, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, E>,
  command: Command,
  options: CommandOptions<E>,
): Promise<CommandResult<State, E>> {
  const attempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt += 1) {
    const { state, version } = await loadState(store, stream, decider);
    if (options.expectedVersion !== undefined && (version ?? 0) !== options.expectedVersion) {
      throw new ConcurrencyError(stream, options.expectedVersion, version);
    }
    const decided = decider.decide(command, state);
    const events: readonly E[] = Array.isArray(decided) ? decided : [decided as E];
    if (events.length === 0) return { state, events: [], version };
    try {
      const result = await store.append<E>(
        stream,
        events.map((event) => toNewEvent(event, options)),
        { expectedVersion: version ?? 'no_stream' },
      );
      return {
        state: result.events.reduce(evolveWith(decider), state),
        events: result.events,
        version: result.version,
      };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** An aggregate's current state: its stream folded with its decider, and the version folded. */
export async function loadState<State, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, never, E>, 'evolve' | 'initialState'>,
): Promise<{ readonly state: State; readonly version: number | undefined }> {
  const history = await store.readStream<E>(stream);
  return {
    state: history.reduce(evolveWith(decider), decider.initialState()),
    version: history.at(-1)?.version,
  };
}

function evolveWith<State, E extends DomainEvent>(
  decider: Pick<Decider<State, never, E>, 'evolve'>,
): (state: State, event: StoredEvent<E>) => State {
  // A stored event is its domain event plus the envelope; the decider sees the domain event.
  return (state, event) => decider.evolve(state, event as unknown as E);
}

function toNewEvent<E extends DomainEvent>(event: E, options: CommandOptions<E>): NewEvent<E> {
  const versions: Partial<Record<string, number>> = options.schemaVersions ?? {};
  return {
    type: event.type,
    data: event.data,
    schemaVersion: versions[event.type] ?? 1,
    metadata: options.metadata,
  } as NewEvent<E>;
}

/** JSON as stored: what an event's data may contain. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { readonly [key: string]: JsonValue };

export type JsonObject = { readonly [key: string]: JsonValue };

/** Who caused an event: identifiers of an organisation and one of its principals, never names. */
export interface Actor {
  readonly organisationId: string;
  readonly principalId: string;
}

export interface EventMetadata {
  readonly actor: Actor;
  /** The journey this event belongs to (one case submission, one referral…). */
  readonly correlationId: string;
  /** The command or event that caused this one. */
  readonly causationId?: string;
  /** W3C trace context of the request that appended the event. */
  readonly traceparent?: string;
  /** Id of the per-case data key that encrypted the personal fields in `data`, if any. */
  readonly dataKeyId?: string;
}

/**
 * A domain event as a decider sees it: a type and its data, no envelope. A service declares its
 * events as a union of these, so `type` discriminates `data` end to end.
 */
export interface DomainEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  readonly type: Type;
  readonly data: Data;
}

/** An event to append. The store gives it its version, position, times and hashes. */
export type NewEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? {
      /** UUIDv7; generated when absent. Retrying the same append with the same ids is idempotent. */
      readonly id?: string;
      readonly type: E['type'];
      readonly schemaVersion: number;
      readonly data: E['data'];
      readonly occurredAt?: Date;
      readonly metadata: EventMetadata;
    }
  : never;

/** What the store adds to every event. */
export interface EventEnvelope {
  readonly id: string;
  readonly stream: string;
  /** 1 for the first event of a stream. */
  readonly version: number;
  /** Position in the store's global order: dense, 1-based, the order readers tail. */
  readonly position: number;
  readonly schemaVersion: number;
  /** ISO-8601 UTC. */
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly metadata: EventMetadata;
  readonly previousHash: string;
  readonly hash: string;
}

/**
 * An event as stored and read back (after upcasting, `type`/`schemaVersion`/`data` may be newer).
 * Reading as `StoredEvent<E>` states that upcasters bring every stored event of the stream to E.
 */
export type StoredEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? EventEnvelope & { readonly type: E['type']; readonly data: E['data'] }
  : never;

/**
 * `any`: append whatever the stream's version; `no_stream`: only if the stream does not exist;
 * a number: only if the stream is exactly at that version.
 */
export type ExpectedVersion = 'any' | 'no_stream' | number;

export interface AppendResult<E extends DomainEvent = DomainEvent> {
  /** The stream's version after the append. */
  readonly version: number;
  /** Global position of the last appended event. */
  readonly position: number;
  readonly events: readonly StoredEvent<E>[];
}

export interface ReadStreamOptions {
  /** First version to return (default 1). */
  readonly fromVersion?: number;
  /** Most events to return (default: the rest of the stream). */
  readonly limit?: number;
}

/**
 * A reader never skips a position: `readAll` stops before a missing one. A hole (or a reader ahead
 * of the head) that lasts longer than the store's grace period is an IntegrityError, since under
 * ADR 0003 only tampering or corruption can make one.
 */
export interface ReadAllOptions {
  /** Return events with a global position strictly greater than this (default 0). */
  readonly after?: number;
  /** Most events to return (default 1000, at most 10 000). */
  readonly limit?: number;
}

export interface VerifyResult {
  readonly stream: string;
  readonly ok: boolean;
  readonly eventsChecked: number;
  /** The first version whose stored hash or link does not match, when `ok` is false. */
  readonly brokenAtVersion?: number;
  readonly reason?: string;
}

export interface LogVerifyResult {
  readonly ok: boolean;
  readonly eventsChecked: number;
  /** The first global position that is missing, repeated or does not match, when `ok` is false. */
  readonly brokenAtPosition?: number;
  readonly reason?: string;
}

/** A stream's last event as of some global position: what a checkpoint anchors. */
export interface StreamHead {
  readonly stream: string;
  readonly version: number;
  /** The hash of the stream's event at `version`. */
  readonly hash: string;
}

/** The port every event store adapter implements; one contract suite tests them all. */
export interface EventStore {
  append<E extends DomainEvent = DomainEvent>(
    stream: string,
    events: readonly NewEvent<E>[],
    options: { readonly expectedVersion: ExpectedVersion },
  ): Promise<AppendResult<E>>;
  readStream<E extends DomainEvent = DomainEvent>(
    stream: string,
    options?: ReadStreamOptions,
  ): Promise<StoredEvent<E>[]>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** The stream's version, or undefined when it does not exist. */
  streamVersion(stream: string): Promise<number | undefined>;
  /** The global position of the last event (0 when empty). */
  headPosition(): Promise<number>;
  /**
   * Every stream's head as of global position `upTo` (its last event at or before it), ordered
   * by stream name (code-unit order; names are ASCII). Streams with no event by then are left
   * out. Read from indexes where the adapter has them; not a hot path.
   */
  streamHeads(upTo: number): Promise<StreamHead[]>;
  /** Recomputes the stream's hash chain over the stored form and reports the first break. */
  verify(stream: string): Promise<VerifyResult>;
  /**
   * Checks the whole log: positions dense from 1 to the head, every hash right, every stream
   * linked. An audit, not a hot path: it reads everything.
   */
  verifyLog(): Promise<LogVerifyResult>;
  close(): Promise<void>;
}

import { ValidationError } from '@aman/errors';
import type { JsonObject, StoredEvent } from '@aman/eventstore';

import type { BusMessage } from './types.ts';

/** The shape of a message type that ts-proto generates (packages/contracts). */
export interface ProtoMessageType<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface EventBinding {
  /** The event type as stored, e.g. `CaseSubmitted`. */
  readonly eventType: string;
  /** The CloudEvents type on the bus, e.g. `aman.intake.v1.CaseSubmitted`. */
  readonly ceType: string;
  readonly message: ProtoMessageType<unknown>;
}

export function bind<T>(
  eventType: string,
  ceType: string,
  message: ProtoMessageType<T>,
): EventBinding {
  return { eventType, ceType, message };
}

export const PROTOBUF = 'application/protobuf';

/**
 * Turns stored events of one producing context into bus messages: the stored JSON data becomes
 * the protobuf message the context publishes in proto/. Only event types with a binding leave
 * the context; anything else is an error, not a silent drop.
 */
export class EventCodecs {
  readonly source: string;
  readonly #byEventType = new Map<string, EventBinding>();
  readonly #byCeType = new Map<string, EventBinding>();
  readonly #subjectOf: (event: StoredEvent) => string;

  constructor(options: {
    /** `ce_source`, e.g. `/aman/intake`. */
    readonly source: string;
    readonly bindings: readonly EventBinding[];
    /** The case id an event belongs to (the Kafka key); defaults to the stream name. */
    readonly subjectOf?: (event: StoredEvent) => string;
  }) {
    this.source = options.source;
    for (const binding of options.bindings) {
      this.#byEventType.set(binding.eventType, binding);
      this.#byCeType.set(binding.ceType, binding);
    }
    this.#subjectOf = options.subjectOf ?? ((event) => event.stream);
  }

  publishes(eventType: string): boolean {
    return this.#byEventType.has(eventType);
  }

  /** The stored event type a CloudEvents type stands for (e.g. for a projection's `handles`). */
  eventTypeOf(ceType: string): string {
    const binding = this.#byCeType.get(ceType);
    if (binding === undefined) {
      throw new ValidationError(`CloudEvents type ${ceType} has no protobuf binding`);
    }
    return binding.eventType;
  }

  toBusMessage(event: StoredEvent): BusMessage {
    const binding = this.#byEventType.get(event.type);
    if (binding === undefined) {
      throw new ValidationError(`event type ${event.type} has no protobuf binding`);
    }
    const data = binding.message.encode(binding.message.fromJSON(event.data)).finish();
    assertNothingLost(event.data, binding.message.toJSON(binding.message.decode(data)), event.type);
    return {
      id: event.id,
      source: this.source,
      type: binding.ceType,
      subject: this.#subjectOf(event),
      time: event.occurredAt,
      stream: event.stream,
      streamVersion: event.version,
      ...(event.metadata.traceparent === undefined
        ? {}
        : { traceparent: event.metadata.traceparent }),
      dataContentType: PROTOBUF,
      data,
    };
  }

  /** The message's data as JSON, decoded with the binding for its CloudEvents type. */
  decode(message: BusMessage): JsonObject {
    const binding = this.#byCeType.get(message.type);
    if (binding === undefined) {
      throw new ValidationError(`CloudEvents type ${message.type} has no protobuf binding`);
    }
    if (message.dataContentType !== PROTOBUF) {
      throw new ValidationError('message data is not protobuf');
    }
    return binding.message.toJSON(binding.message.decode(message.data)) as JsonObject;
  }
}

function isDefault(value: unknown): boolean {
  if (value === '' || value === 0 || value === false || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * ts-proto's fromJSON drops fields the message does not define. A domain field that is not in
 * the protobuf message would vanish from every consumer silently, so it is an error here. Only
 * presence is compared: proto3 leaves default values out, and values may be normalised on the
 * way (a timestamp gains milliseconds).
 */
function assertNothingLost(data: JsonObject, roundTrip: unknown, eventType: string): void {
  const back = (roundTrip ?? {}) as Record<string, unknown>;
  for (const [field, value] of Object.entries(data)) {
    if (isDefault(value)) continue;
    // Own properties only: `in` also sees `constructor`, `toString`… on the prototype.
    if (!Object.hasOwn(back, field)) {
      // The field's name stays out of the message: names can carry personal data.
      throw new ValidationError(`${eventType} holds a field its protobuf message does not define`);
    }
  }
}

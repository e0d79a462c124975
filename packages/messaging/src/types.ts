/**
 * One event as it travels between services: a CloudEvents 1.0 event whose data is the protobuf
 * encoding of the domain event (personal fields inside it are already ciphertext).
 */
export interface BusMessage {
  /** `ce_id`: the event id (UUIDv7) — what consumers deduplicate on. */
  readonly id: string;
  /** `ce_source`: the producing context, e.g. `/aman/intake`. */
  readonly source: string;
  /** `ce_type`: e.g. `aman.intake.v1.CaseSubmitted`. */
  readonly type: string;
  /** `ce_subject`: the case id; also the Kafka key, so one case's events stay in order. */
  readonly subject: string;
  /** `ce_time`: when the event occurred (ISO-8601). */
  readonly time: string;
  /** `ce_stream` / `ce_streamversion` extensions: the per-stream version guard's input. */
  readonly stream: string;
  readonly streamVersion: number;
  /** W3C trace context of the request that caused the event. */
  readonly traceparent?: string;
  /** `content-type` of `data`. */
  readonly dataContentType: string;
  readonly data: Uint8Array;
}

export interface DeliveryContext {
  readonly topic: string;
  /** 1 on first delivery to the handler, then 2, 3… while it keeps failing. */
  readonly attempt: number;
}

export type MessageHandler = (message: BusMessage, context: DeliveryContext) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: each group gets every message; members of one group share them. */
  readonly group: string;
  readonly topics: readonly string[];
  readonly handler: MessageHandler;
  /** Handler attempts before a message is dead-lettered (default 5). */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubled each time (default 50 ms). */
  readonly retryDelayMs?: number;
}

export interface Subscription {
  /** Stops after the message in hand; what was processed is committed before it resolves. */
  stop(): Promise<void>;
}

/** The consuming side of the bus; one contract suite covers every adapter. */
export interface Subscriber {
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

/** The producing side (Kafka); resolves only once the broker has acknowledged every message. */
export interface Publisher {
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** A record that could not be processed, as parked on a dead-letter topic or table. */
export interface DeadLetterRecord {
  readonly topic: string;
  readonly group: string;
  readonly eventId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number;
}

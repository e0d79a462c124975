import { createHash } from 'node:crypto';

import { IdempotencyConflictError, ValidationError } from '@aman/errors';

import { canonicalJson, parseJsonObject } from './canonicalJson.ts';
import { isTraceparent } from './traceparent.ts';
import type {
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  LogVerifyResult,
  StoredEvent,
  StreamHead,
  VerifyResult,
} from './types.ts';
import { upcast, type UpcasterRegistry } from './upcasting.ts';
import { isUuid, uuidv7 } from './uuid.ts';

/** The previous hash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The stored form of one event, the same in every adapter. `data` is canonical JSON text (so the
 * bytes hashed are the bytes stored), and personal fields in it are already ciphertext.
 */
export interface EventRow {
  readonly id: string;
  readonly stream: string;
  readonly version: number;
  /** Position in the store's global order; hashed, so reordering the log is detected. */
  readonly position: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actorOrganisationId: string;
  readonly actorPrincipalId: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly traceparent: string | null;
  readonly dataKeyId: string | null;
  readonly previousHash: string;
  readonly hash: string;
}

export type UnhashedRow = Omit<EventRow, 'hash'>;

/**
 * SHA-256 over the stored form, which includes the previous event's hash: the fields as a JSON
 * array (fixed order, unambiguous), then the data text exactly as stored. v2 added the global
 * position (ADR 0004, "Tamper evidence"); no store was deployed with v1, so none is upcast.
 */
export function rowHash(row: UnhashedRow): string {
  const header = JSON.stringify([
    'aman-event-v2',
    row.id,
    row.stream,
    row.version,
    row.position,
    row.type,
    row.schemaVersion,
    row.occurredAt,
    row.recordedAt,
    row.actorOrganisationId,
    row.actorPrincipalId,
    row.correlationId,
    row.causationId,
    row.traceparent,
    row.dataKeyId,
    row.previousHash,
  ]);
  return createHash('sha256').update(header).update(row.data).digest('hex');
}

const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;
export const MAX_EVENTS_PER_APPEND = 1000;
/**
 * Well under Kafka's default 1 MB record-batch limit, so one event always fits a publish; the
 * whole append stays far below MongoDB's 16 MiB document limit for its commit document.
 */
export const MAX_EVENT_DATA_BYTES = 256 * 1024;
export const MAX_APPEND_DATA_BYTES = 4 * 1024 * 1024;
export const MAX_READ_PAGE = 10_000;

export function validateStreamName(stream: string): void {
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw new ValidationError(
      'stream name must be 1–200 characters of letters, digits and . _ : - (starting with a letter or digit)',
    );
  }
}

export function validateExpectedVersion(expected: ExpectedVersion): void {
  if (expected === 'any' || expected === 'no_stream') return;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new ValidationError(
      "expectedVersion must be 'any', 'no_stream' or a non-negative integer",
    );
  }
}

function validateIdentifier(value: string | undefined, field: string, required: boolean): void {
  if (value === undefined) {
    if (required) throw new ValidationError(`${field} is required`);
    return;
  }
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new ValidationError(`${field} must be an identifier of 1–200 safe characters`);
  }
}

function validateMetadata(given: EventMetadata, index: number): void {
  const at = `events[${index}].metadata`;
  // Typed callers cannot leave these out; decoded input can.
  const metadata = given as Partial<EventMetadata> | null | undefined;
  if (typeof metadata !== 'object' || metadata === null) {
    throw new ValidationError(`${at} is required`);
  }
  const actor = metadata.actor as Partial<EventMetadata['actor']> | undefined;
  validateIdentifier(actor?.organisationId, `${at}.actor.organisationId`, true);
  validateIdentifier(actor?.principalId, `${at}.actor.principalId`, true);
  validateIdentifier(metadata.correlationId, `${at}.correlationId`, true);
  validateIdentifier(metadata.causationId, `${at}.causationId`, false);
  validateIdentifier(metadata.dataKeyId, `${at}.dataKeyId`, false);
  if (metadata.traceparent !== undefined && !isTraceparent(metadata.traceparent)) {
    throw new ValidationError(`${at}.traceparent is not a W3C traceparent`);
  }
}

/**
 * Checks an append and turns its events into rows without version-dependent fields.
 * Everything a caller can get wrong is a ValidationError naming the field, never the value.
 */
export function prepareEvents(
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedVersion,
): PreparedEvent[] {
  validateStreamName(stream);
  validateExpectedVersion(expected);
  // Callers may be untyped (a decoded request), so the guards below check shapes the types
  // already promise.
  /* eslint-disable @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-unnecessary-type-assertion */
  if (!Array.isArray(events as unknown) || events.length === 0) {
    throw new ValidationError('an append needs at least one event');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new ValidationError(`an append holds at most ${MAX_EVENTS_PER_APPEND} events`);
  }
  const ids = new Set<string>();
  let appendBytes = 0;
  return events.map((event, index) => {
    if (typeof event !== 'object' || event === null) {
      throw new ValidationError(`events[${index}] is not an event`);
    }
    const id = event.id ?? uuidv7();
    if (typeof id !== 'string' || !isUuid(id))
      throw new ValidationError(`events[${index}].id is not a UUID`);
    if (ids.has(id)) throw new ValidationError(`events[${index}].id repeats an id of this append`);
    ids.add(id);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) {
      throw new ValidationError(
        `events[${index}].type must be a name of letters, digits and . _ -`,
      );
    }
    if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) {
      throw new ValidationError(`events[${index}].schemaVersion must be a positive integer`);
    }
    if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) {
      throw new ValidationError(`events[${index}].data must be a JSON object`);
    }
    const data = canonicalJson(event.data);
    const bytes = Buffer.byteLength(data);
    if (bytes > MAX_EVENT_DATA_BYTES) {
      throw new ValidationError(`events[${index}].data exceeds ${MAX_EVENT_DATA_BYTES} bytes`);
    }
    appendBytes += bytes;
    if (appendBytes > MAX_APPEND_DATA_BYTES) {
      throw new ValidationError(`an append's data exceeds ${MAX_APPEND_DATA_BYTES} bytes`);
    }
    validateMetadata(event.metadata, index);
    const occurredAt = event.occurredAt ?? new Date();
    if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
      throw new ValidationError(`events[${index}].occurredAt is not a valid date`);
    }
    return {
      id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data,
      occurredAt: occurredAt.toISOString(),
      actorOrganisationId: event.metadata.actor.organisationId,
      actorPrincipalId: event.metadata.actor.principalId,
      correlationId: event.metadata.correlationId,
      causationId: event.metadata.causationId ?? null,
      traceparent: event.metadata.traceparent ?? null,
      dataKeyId: event.metadata.dataKeyId ?? null,
    };
  });
  /* eslint-enable @typescript-eslint/no-unnecessary-condition, @typescript-eslint/no-unnecessary-type-assertion */
}

export type PreparedEvent = Omit<
  UnhashedRow,
  'stream' | 'version' | 'position' | 'recordedAt' | 'previousHash'
>;

/**
 * Gives prepared events their versions and positions, and chains their hashes onto the stream's
 * head.
 */
export function chainRows(
  stream: string,
  prepared: readonly PreparedEvent[],
  head: { readonly version: number; readonly hash: string } | undefined,
  firstPosition: number,
  recordedAt: string,
): EventRow[] {
  let previousHash = head?.hash ?? GENESIS_HASH;
  const headVersion = head?.version ?? 0;
  return prepared.map((event, index) => {
    const unhashed: UnhashedRow = {
      ...event,
      stream,
      version: headVersion + index + 1,
      position: firstPosition + index,
      recordedAt,
      previousHash,
    };
    const hash = rowHash(unhashed);
    previousHash = hash;
    return { ...unhashed, hash };
  });
}

function positiveInteger(value: unknown, field: string, minimum: number, maximum: number): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < minimum ||
    value > maximum
  ) {
    throw new ValidationError(`${field} must be an integer from ${minimum} to ${maximum}`);
  }
  return value;
}

/** Checked read-stream options (fromVersion ≥ 1; limit ≥ 0, absent for the whole stream). */
export function checkReadStream(
  stream: string,
  options: ReadStreamOptions,
): { fromVersion: number; limit: number | undefined } {
  validateStreamName(stream);
  return {
    fromVersion: positiveInteger(
      options.fromVersion ?? 1,
      'fromVersion',
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    limit:
      options.limit === undefined
        ? undefined
        : positiveInteger(options.limit, 'limit', 0, Number.MAX_SAFE_INTEGER),
  };
}

/** Checked read-all options: `after` ≥ 0, 1 ≤ limit ≤ MAX_READ_PAGE (default 1000). */
export function checkReadAll(options: ReadAllOptions): { after: number; limit: number } {
  return {
    after: positiveInteger(options.after ?? 0, 'after', 0, Number.MAX_SAFE_INTEGER),
    limit: positiveInteger(options.limit ?? 1000, 'limit', 1, MAX_READ_PAGE),
  };
}

/** A checked global position to read stream heads at (≥ 0). */
export function checkHeadPosition(upTo: number): number {
  return positiveInteger(upTo, 'upTo', 0, Number.MAX_SAFE_INTEGER);
}

/** Stream heads in the one order every adapter gives them: by name, in code-unit order. */
export function sortHeads(heads: StreamHead[]): StreamHead[] {
  return heads.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
}

export function expectedVersionHolds(
  expected: ExpectedVersion,
  actual: number | undefined,
): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === undefined;
  return (actual ?? 0) === expected;
}

/** Rows of one stream in version order → the chain's first break, if any. */
export function verifyRows(stream: string, rows: Iterable<EventRow>): VerifyResult {
  let previousHash = GENESIS_HASH;
  let expectedVersion = 1;
  let checked = 0;
  for (const row of rows) {
    if (row.stream !== stream) {
      return broken(stream, checked, row.version, 'an event of another stream is in this stream');
    }
    if (row.version !== expectedVersion) {
      return broken(stream, checked, expectedVersion, 'a version is missing');
    }
    if (row.previousHash !== previousHash) {
      return broken(
        stream,
        checked,
        row.version,
        'previous hash does not link to the event before',
      );
    }
    const { hash, ...unhashed } = row;
    if (rowHash(unhashed) !== hash) {
      return broken(stream, checked, row.version, 'stored hash does not match the stored event');
    }
    previousHash = hash;
    expectedVersion += 1;
    checked += 1;
  }
  return { stream, ok: true, eventsChecked: checked };
}

/**
 * The whole log in position order → its first break: positions dense from 1 to `highWater` (the
 * last position the store ever handed out), every row's hash right (the hash covers the
 * position, so swapped or moved events show), and every stream's events linked in version order.
 */
export function verifyLogRows(rows: Iterable<EventRow>, highWater: number): LogVerifyResult {
  const heads = new Map<string, { version: number; hash: string }>();
  let position = 0;
  for (const row of rows) {
    const at = (reason: string): LogVerifyResult => ({
      ok: false,
      eventsChecked: position,
      brokenAtPosition: position + 1,
      reason,
    });
    if (row.position !== position + 1) {
      return at(row.position > position + 1 ? 'a position is missing' : 'a position repeats');
    }
    const { hash, ...unhashed } = row;
    if (rowHash(unhashed) !== hash) return at('stored hash does not match the stored event');
    const head = heads.get(row.stream);
    if (
      row.version !== (head?.version ?? 0) + 1 ||
      row.previousHash !== (head?.hash ?? GENESIS_HASH)
    ) {
      return at("the event does not link to its stream's event before it");
    }
    heads.set(row.stream, { version: row.version, hash });
    position += 1;
  }
  if (highWater > position) {
    return {
      ok: false,
      eventsChecked: position,
      brokenAtPosition: position + 1,
      reason: 'the newest positions handed out are missing',
    };
  }
  return { ok: true, eventsChecked: position };
}

function broken(stream: string, checked: number, version: number, reason: string): VerifyResult {
  return { stream, ok: false, eventsChecked: checked, brokenAtVersion: version, reason };
}

export function toStoredEvent(row: EventRow, upcasters: UpcasterRegistry): StoredEvent {
  const current = upcast(upcasters, {
    type: row.type,
    schemaVersion: row.schemaVersion,
    data: parseJsonObject(row.data),
  });
  const metadata: {
    actor: { organisationId: string; principalId: string };
    correlationId: string;
    causationId?: string;
    traceparent?: string;
    dataKeyId?: string;
  } = {
    actor: { organisationId: row.actorOrganisationId, principalId: row.actorPrincipalId },
    correlationId: row.correlationId,
  };
  if (row.causationId !== null) metadata.causationId = row.causationId;
  if (row.traceparent !== null) metadata.traceparent = row.traceparent;
  if (row.dataKeyId !== null) metadata.dataKeyId = row.dataKeyId;
  return {
    id: row.id,
    stream: row.stream,
    version: row.version,
    position: row.position,
    type: current.type,
    schemaVersion: current.schemaVersion,
    data: current.data,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    metadata,
    previousHash: row.previousHash,
    hash: row.hash,
  };
}

/**
 * What makes two events the same event for an idempotent retry: everything the caller states
 * except `occurredAt` (defaulted to the time of the call when absent, so a retry differs) and the
 * traceparent (a retry is a new request, with a new trace).
 */
function contentKey(event: PreparedEvent | EventRow): string {
  return JSON.stringify([
    event.id,
    event.type,
    event.schemaVersion,
    event.actorOrganisationId,
    event.actorPrincipalId,
    event.correlationId,
    event.causationId,
    event.dataKeyId,
    event.data,
  ]);
}

/** One digest for a whole append, to compare a retry with an append that is not stored yet. */
export function appendDigest(stream: string, prepared: readonly PreparedEvent[]): string {
  const hash = createHash('sha256').update(JSON.stringify([stream, prepared.length]));
  for (const event of prepared) hash.update(contentKey(event));
  return hash.digest('hex');
}

/**
 * A retry is idempotent only when it repeats a stored append whole: same stream, same events in
 * the same order with the same content, nothing left out or added (ADR 0003, "Idempotent
 * retries"). `rows` are the stored append's events; anything else is an IdempotencyConflictError.
 */
export function assertSameAppend(
  stream: string,
  prepared: readonly PreparedEvent[],
  rows: readonly EventRow[],
): void {
  const same =
    prepared.length === rows.length &&
    prepared.every((event, i) => {
      const row = rows[i];
      return row !== undefined && row.stream === stream && contentKey(row) === contentKey(event);
    });
  if (!same) throw new IdempotencyConflictError();
}

import { ValidationError } from '@aman/errors';
import type { JsonObject, JsonValue } from '@aman/eventstore';

/** A read-model document with, per stream, the last event version applied to it. */
export interface ReadModelDocument {
  readonly id: string;
  /** Undefined for a tombstone: a deleted document keeps its versions so replays stay idempotent. */
  readonly data: JsonObject | undefined;
  readonly versions: Readonly<Record<string, number>>;
}

export type FieldValue = string | number | boolean | null;

export interface QueryOptions {
  /** Equality on indexed top-level fields. Values must be primitives: no operators. */
  readonly where?: Readonly<Record<string, FieldValue>>;
  /** An indexed field (default: the document id). Ties are broken by id. */
  readonly orderBy?: string;
  readonly direction?: 'asc' | 'desc';
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface Page {
  readonly items: readonly { readonly id: string; readonly data: JsonObject }[];
  readonly nextCursor?: string;
}

export interface GroupCount {
  readonly key: JsonValue;
  readonly count: number;
}

export interface CollectionSpec {
  /** Top-level fields of `data` that queries may filter, order or group by. */
  readonly indexes: readonly string[];
}

export interface WriteOptions {
  readonly created?: ReadonlySet<string>;
}

export interface ReadModelCollection {
  get(id: string): Promise<ReadModelDocument | undefined>;
  getMany(ids: readonly string[]): Promise<Map<string, ReadModelDocument>>;
  /**
   * Writes a batch of whole documents (upserts and tombstones) in one go. `created` names the
   * documents the caller knows the collection does not hold yet (it loaded them and found none):
   * an adapter may insert those instead of replacing them, which is cheaper on some servers.
   */
  write(documents: readonly ReadModelDocument[], options?: WriteOptions): Promise<void>;
  query(options?: QueryOptions): Promise<Page>;
  count(where?: QueryOptions['where']): Promise<number>;
  group(field: string, where?: QueryOptions['where']): Promise<GroupCount[]>;
  drop(): Promise<void>;
}

/** The read-model store port; one contract suite runs against every adapter. */
export interface ReadModelStore {
  collection(name: string, spec: CollectionSpec): Promise<ReadModelCollection>;
  close(): Promise<void>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
export const MAX_PAGE = 500;

export function validateName(name: string, what: string): void {
  if (!NAME.test(name)) {
    throw new ValidationError(
      `${what} must be 1–63 letters, digits or underscores, starting with a letter`,
    );
  }
}

/** Checks a query against the collection's indexes; everything else is a ValidationError. */
export function checkQuery(
  spec: CollectionSpec,
  options: QueryOptions,
): {
  where: [string, FieldValue][];
  orderBy: string | undefined;
  descending: boolean;
  limit: number;
  cursor: [FieldValue, string] | undefined;
} {
  const where = Object.entries(options.where ?? {});
  for (const [field, value] of where) checkField(spec, field, value);
  if (options.orderBy !== undefined && !spec.indexes.includes(options.orderBy)) {
    throw new ValidationError(`cannot order by ${options.orderBy}: it is not an indexed field`);
  }
  const direction: unknown = options.direction;
  if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
    throw new ValidationError("direction must be 'asc' or 'desc'");
  }
  const limit = options.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  return {
    where,
    orderBy: options.orderBy,
    descending: options.direction === 'desc',
    limit,
    cursor: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
  };
}

export function checkField(spec: CollectionSpec, field: string, value: unknown): void {
  if (!spec.indexes.includes(field)) {
    throw new ValidationError(`cannot filter on ${field}: it is not an indexed field`);
  }
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
    // `{"$gt": ""}` and friends: a filter value is a value, never an operator.
    throw new ValidationError(`filter on ${field} must be a string, number, boolean or null`);
  }
}

/**
 * Document data must be storable by every adapter: MongoDB (and FerretDB) refuse keys that hold
 * `.` or start with `$`. The error does not name the key.
 */
export function checkDocumentKeys(value: unknown, depth = 0): void {
  if (depth > 64) throw new ValidationError('read-model data is nested too deeply');
  if (Array.isArray(value)) {
    for (const item of value) checkDocumentKeys(item, depth + 1);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('.') || key.startsWith('$') || key.includes('\u0000')) {
      throw new ValidationError('read-model data has a key with ".", a leading "$" or a NUL');
    }
    checkDocumentKeys(item, depth + 1);
  }
}

export function encodeCursor(sortValue: FieldValue, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');
}

function decodeCursor(cursor: string): [FieldValue, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[1] === 'string' &&
      (parsed[0] === null || ['string', 'number', 'boolean'].includes(typeof parsed[0]))
    ) {
      return [parsed[0] as FieldValue, parsed[1]];
    }
  } catch {
    // fall through
  }
  throw new ValidationError('cursor is not one this collection issued');
}

export function sortValueOf(data: JsonObject, field: string | undefined, id: string): FieldValue {
  if (field === undefined) return id;
  const value = data[field];
  return value === undefined || typeof value === 'object' ? null : value;
}

import { ValidationError } from './index.ts';

/*
 * The field checks every domain shares: what a schema cannot express, or what must hold whoever
 * sends the command. Each failure names
 * the field, never the value: messages end up in logs and API responses, and values can be
 * personal data.
 */

// Ids are minted by Aman (UUIDs, hashes) or by an operator; they become stream names and parts of
// associated data, so they hold no separators such as `|`.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

// RFC 3339 with an explicit offset; the calendar date is checked on its own (V8 rolls
// 30 February over into March instead of refusing it).
const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAY_MS = 86_400_000;

export function requireIdentifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new ValidationError(`${field} must be an identifier of letters, digits and _.:-`);
  }
  return value;
}

export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ValidationError(`${field} is required`);
  }
  return value;
}

export function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(`${field} must be true or false`);
  return value;
}

export function requireOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function requireList(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(`${field} must be a list`);
  return value;
}

/** A list of vocabulary values, each at most once. */
export function requireValues<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
  { nonEmpty }: { nonEmpty: boolean },
): T[] {
  const list = requireList(value, field);
  if (nonEmpty && list.length === 0) throw new ValidationError(`${field} must not be empty`);
  const values = list.map((item, index) => requireOneOf(item, allowed, `${field}[${index}]`));
  if (new Set(values).size !== values.length) {
    throw new ValidationError(`${field} lists a value twice`);
  }
  return values;
}

/** A calendar date, YYYY-MM-DD. */
export function requireDate(value: unknown, field: string): string {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (match === null || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new ValidationError(`${field} must be a calendar date YYYY-MM-DD`);
  }
  return match[0];
}

/** An RFC 3339 timestamp, returned in the protobuf JSON form (UTC, milliseconds). */
export function requireTimestamp(value: unknown, field: string): string {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  const date = match?.[1];
  if (match === null || date === undefined || !isDate(date)) {
    throw new ValidationError(`${field} must be an RFC 3339 timestamp with an offset`);
  }
  return new Date(match[0]).toISOString();
}

/** Days since 1970-01-01 of a date that passed `requireDate`. */
export function epochDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function isDate(value: string): boolean {
  const match = DATE.exec(value);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

import { ValidationError } from '@aman/errors';

/*
 * Checks on command fields. Each failure names the field, never the value: messages end up in
 * logs and API responses, and a value can be personal data or a secret.
 */

// Ids are minted by Aman (UUIDs) or by an operator (organisation ids); they become stream names.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

// RFC 3339 with an explicit offset; the calendar date is checked separately (V8 rolls 30 February
// over into March instead of refusing it).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

export function requireIdentifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new ValidationError(`${field} must be an identifier of letters, digits and _.:-`);
  }
  return value;
}

/** An RFC 3339 timestamp, returned in the protobuf JSON form (UTC, milliseconds). */
export function requireTimestamp(value: unknown, field: string): string {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (match === null || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new ValidationError(`${field} must be an RFC 3339 timestamp with an offset`);
  }
  return new Date(match[0]).toISOString();
}

export function requireOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  field: string,
): T {
  if (!isOneOf(value, allowed)) {
    throw new ValidationError(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value;
}

/** At least one value, each allowed; returned without repeats, in the vocabulary's order. */
export function requireSetOf<T extends string>(
  values: unknown,
  allowed: readonly T[],
  field: string,
): T[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ValidationError(`${field} must list at least one value`);
  }
  const given: readonly unknown[] = values;
  for (const value of given) requireOneOf(value, allowed, field);
  return allowed.filter((value) => given.includes(value));
}

export function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

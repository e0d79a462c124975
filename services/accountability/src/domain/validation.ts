import { ValidationError } from '@aman/errors';

/*
 * Checks on command fields. Each failure names the field, never the value: messages end up in
 * logs and API responses, and a value can be personal data.
 */

// Ids are minted by Aman (UUIDs) or by an operator (organisation ids); they become stream names.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

// RFC 3339 with an explicit offset; the calendar date is checked separately (V8 rolls 30 February
// over into March instead of refusing it).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

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

/** A calendar date, YYYY-MM-DD. */
export function requireDate(value: unknown, field: string): string {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (match === null || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw new ValidationError(`${field} must be a calendar date YYYY-MM-DD`);
  }
  return match[0];
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

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

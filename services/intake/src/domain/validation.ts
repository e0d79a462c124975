import { ValidationError } from '@aman/errors';

/*
 * Checks a schema cannot express, or that must hold whoever sends the command. Messages name the
 * field, never its value: values can be personal.
 */

export function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new ValidationError(`${field} is required`);
  }
}

export function requireBoolean(value: unknown, field: string): void {
  if (typeof value !== 'boolean') throw new ValidationError(`${field} must be true or false`);
}

export function requireOneOf(value: unknown, allowed: readonly string[], field: string): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ValidationError(`${field} is not one of its vocabulary's values`);
  }
}

export function requireList(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(`${field} must be a list`);
  return value;
}

/** A list of vocabulary values, each once. */
export function requireValues(
  value: unknown,
  allowed: readonly string[],
  field: string,
  { nonEmpty }: { nonEmpty: boolean },
): void {
  const list = requireList(value, field);
  if (nonEmpty && list.length === 0) throw new ValidationError(`${field} must not be empty`);
  list.forEach((item, index) => {
    requireOneOf(item, allowed, `${field}[${index}]`);
  });
  if (new Set(list).size !== list.length) {
    throw new ValidationError(`${field} lists a value twice`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a calendar date YYYY-MM-DD, or undefined if it is not one. */
export function epochDay(value: unknown): number | undefined {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  // Date.UTC rolls 2025-02-30 over to March: a real date survives the round trip.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return undefined;
  return time / 86_400_000;
}

export function requireDate(value: unknown, field: string): number {
  const day = epochDay(value);
  if (day === undefined) throw new ValidationError(`${field} must be a date YYYY-MM-DD`);
  return day;
}

const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An ISO-8601 timestamp with an offset, as protobuf JSON writes it: UTC, in milliseconds. */
export function utcTimestamp(value: unknown, field: string): string {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  // Date.parse rolls 2025-02-30 over to March too: the date part is checked on its own.
  const time = match === null || epochDay(match[1]) === undefined ? NaN : Date.parse(match[0]);
  if (Number.isNaN(time)) {
    throw new ValidationError(`${field} must be an ISO-8601 timestamp with an offset`);
  }
  return new Date(time).toISOString();
}

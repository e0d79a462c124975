import { ValidationError, requireOneOf } from '@aman/errors';

export { requireIdentifier, requireOneOf, requireTimestamp } from '@aman/errors';

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

/**
 * A value as protobuf JSON writes it: default values (false, 0, '', empty lists) left out. For
 * tests that pin a domain event's data to its message (`toJSON(fromJSON(data))`).
 */
export function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => !(field === false || field === '' || field === 0))
      .filter(([, field]) => !(Array.isArray(field) && field.length === 0))
      .map(([name, field]) => [name, withoutDefaults(field)]),
  );
}

import { ValidationError } from '@aman/errors';

import type { JsonValue } from './types.ts';

/**
 * JSON with object keys sorted and no whitespace: one byte sequence per value, so hashes over it
 * are stable across adapters and processes. Rejects what JSON cannot round-trip (undefined,
 * functions, NaN, Infinity, class instances such as Date), naming only the path, never the value.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`${path} is not a finite number`);
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((item, index) => write(item, `${path}[${index}]`)).join(',')}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new ValidationError(`${path} is not a plain JSON object`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const parts: string[] = [];
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new ValidationError(`${path} is a ${typeof value}, which JSON cannot hold`);
  }
}

export function parseJsonObject(text: string): { readonly [key: string]: JsonValue } {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('stored event data is not a JSON object');
  }
  return parsed as { readonly [key: string]: JsonValue };
}

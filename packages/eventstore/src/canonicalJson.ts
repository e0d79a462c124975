import { IntegrityError, ValidationError } from '@aman/errors';

import type { JsonValue } from './types.ts';

/**
 * JSON with object keys sorted and no whitespace: one byte sequence per value, so hashes over it
 * are stable across adapters and processes. Rejects what JSON cannot round-trip (undefined in
 * arrays, holes, functions, NaN, Infinity, class instances such as Date). Errors say what kind of
 * value was wrong and how deep, never the value or its key: keys can be personal data too.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 64;

function reject(problem: string, depth: number): never {
  throw new ValidationError(`data holds ${problem} (at depth ${depth})`);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) reject(`nesting deeper than ${MAX_DEPTH}`, depth);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) reject('a number that is not finite', depth);
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case 'object': {
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let index = 0; index < value.length; index += 1) {
          if (!(index in value)) reject('an array with a hole', depth);
          items.push(write(value[index], depth + 1));
        }
        return `[${items.join(',')}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        reject('an object that is not plain JSON', depth);
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const item = record[key];
        if (item === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${write(item, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return reject(`a ${typeof value}, which JSON cannot hold`, depth);
  }
}

/** Parses stored data; a stored row that does not parse is an integrity fault, reported without its content. */
export function parseJsonObject(text: string): { readonly [key: string]: JsonValue } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IntegrityError('stored event data is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new IntegrityError('stored event data is not a JSON object');
  }
  return parsed as { readonly [key: string]: JsonValue };
}

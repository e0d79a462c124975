import { createHmac } from 'node:crypto';

import { ValidationError } from '@aman/errors';

import { fromBase64 } from './aesGcm.ts';
import { normaliseDate, normalisePhone } from './identifiers.ts';
import { normaliseName } from './names.ts';

/**
 * The HMAC key of the blind index, known by its id. A key of its own, not the master key: the
 * index must be computable by intake without the power to unwrap data keys, and each key can be
 * rotated or revoked alone (README.md §Blind index).
 */
export type BlindIndexKey = { readonly id: string; readonly key: Uint8Array };

/** The identifiers of a defender the index is computed from, as intake holds them. */
export type BlindIndexIdentifiers = {
  readonly fullName?: string | undefined;
  readonly dateOfBirth?: string | undefined;
  readonly phone?: string | undefined;
};

/** What a token was made from; one HMAC domain each, so equal inputs of two kinds never meet. */
export type BlindIndexTokenKind = 'name-dob' | 'phone';

export const MIN_BLIND_INDEX_KEY_BYTES = 32;

/** No dots: the id is a dot-separated part of every token. Names configuration, never people. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const VERSION = 'bi1';

/** A blind index key from configuration: an id and at least 32 bytes in canonical base64. */
export function blindIndexKeyFromBase64(id: string, encoded: string): BlindIndexKey {
  assertKeyId(id);
  const key = fromBase64(typeof encoded === 'string' ? encoded.trim() : undefined);
  // The key's characters stay out of the message: it is a secret.
  if (key === undefined || key.length < MIN_BLIND_INDEX_KEY_BYTES) {
    throw new ValidationError(
      `blind index key ${id} must be at least ${MIN_BLIND_INDEX_KEY_BYTES} bytes in canonical base64 (padding included)`,
    );
  }
  return { id, key: new Uint8Array(key) };
}

function assertKeyId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new ValidationError('a blind index key id must be 1-64 characters of A-Z a-z 0-9 _ -');
  }
}

function assertKey(key: unknown): void {
  const record: Partial<Record<keyof BlindIndexKey, unknown>> =
    typeof key === 'object' && key !== null ? key : {};
  assertKeyId(record.id);
  if (!(record.key instanceof Uint8Array) || record.key.length < MIN_BLIND_INDEX_KEY_BYTES) {
    throw new ValidationError(
      `blind index key ${record.id} must be at least ${MIN_BLIND_INDEX_KEY_BYTES} bytes`,
    );
  }
}

/**
 * The blind index tokens of a defender, `bi1.<keyId>.<kind>.<HMAC-SHA256, base64url>`:
 * - `name-dob` from the name's skeleton (normaliseName) and the date of birth together;
 * - `phone` from the number in E.164.
 * Two cases share a token when, under the same key, their normalised identifiers are equal: a
 * likely duplicate for people to look at, never a proof. A name without a date of birth gives no
 * token: thousands of people share a common name's skeleton, and a match on it alone would tell
 * the other NGO nothing but that someone with a similar name is known.
 * A part that is absent or blank gives no token; one that is present but cannot be normalised is
 * a ValidationError naming the field, never its value (also when it would give no token, so bad
 * data is seen when it arrives).
 */
export function blindIndexTokens(ids: BlindIndexIdentifiers, key: BlindIndexKey): string[] {
  assertKey(key);
  // Typed by the caller, checked here: intake passes what a request carried.
  const given: unknown = ids;
  if (typeof given !== 'object' || given === null) {
    throw new ValidationError('the identifiers must be an object');
  }
  const fields: Partial<Record<keyof BlindIndexIdentifiers, unknown>> = given;
  const fullName = present(fields.fullName, 'fullName');
  const dateOfBirth = present(fields.dateOfBirth, 'dateOfBirth');
  const phone = present(fields.phone, 'phone');

  const skeleton = fullName === undefined ? undefined : normaliseName(fullName);
  if (skeleton === '') throw new ValidationError('fullName has no letters to match on');
  const date = dateOfBirth === undefined ? undefined : normaliseDate(dateOfBirth);
  if (dateOfBirth !== undefined && date === undefined) {
    throw new ValidationError('dateOfBirth must be a Gregorian date as YYYY-MM-DD');
  }
  const e164 = phone === undefined ? undefined : normalisePhone(phone);
  if (phone !== undefined && e164 === undefined) {
    throw new ValidationError('phone is not a phone number');
  }

  const tokens: string[] = [];
  if (skeleton !== undefined && date !== undefined) {
    tokens.push(token(key, 'name-dob', `${skeleton}|${date}`));
  }
  if (e164 !== undefined) tokens.push(token(key, 'phone', e164));
  return tokens;
}

function present(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`);
  return value.trim() === '' ? undefined : value;
}

function token(key: BlindIndexKey, kind: BlindIndexTokenKind, value: string): string {
  const mac = createHmac('sha256', key.key).update(`aman-${VERSION}|${kind}|${value}`, 'utf8');
  return `${VERSION}.${key.id}.${kind}.${mac.digest('base64url')}`;
}

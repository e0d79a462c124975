import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { IntegrityError, ValidationError } from '@aman/errors';

/** AES-256-GCM as Aman uses it: 32-byte keys, a random 96-bit nonce per encryption, 16-byte tags. */
const ALGORITHM = 'aes-256-gcm';
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export type AeadParts = {
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
};

export function assertKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new ValidationError(`${what} must be ${KEY_BYTES} bytes`);
  }
}

/**
 * The associated data names what a ciphertext is (its purpose, case and field). Its parts are
 * joined with `|`, so a part holding `|` could pass for two parts: refused.
 */
export function assertAadPart(value: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('|')) {
    throw new ValidationError(`${what} must be a non-empty string without "|"`);
  }
}

export function encrypt(key: Uint8Array, plaintext: Uint8Array, aad: string): AeadParts {
  // Random nonces are safe here because each data key encrypts the fields of one case only,
  // far below the 2^32 messages NIST SP 800-38D allows per key with random 96-bit nonces.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * Decrypts and authenticates, or throws an IntegrityError that says what failed but nothing of
 * the data. The tag length is checked here and pinned on the decipher: without `authTagLength`
 * Node accepts a truncated tag (4 bytes) and with it a forgery (DEP0182, research/security.md §4.2).
 */
export function decrypt(key: Uint8Array, parts: AeadParts, aad: string, what: string): Buffer {
  if (parts.nonce.length !== NONCE_BYTES || parts.tag.length !== TAG_BYTES) {
    throw new IntegrityError(`${what} is malformed`);
  }
  const decipher = createDecipheriv(ALGORITHM, key, parts.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(parts.tag);
  try {
    return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]);
  } catch {
    // The cause is dropped on purpose: it adds nothing and error chains end up in logs.
    throw new IntegrityError(
      `${what} does not authenticate: wrong key, altered, or moved from another case or field`,
    );
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url (no padding): Node's decoder skips characters it does not know, so the text
 * is checked first and must be the canonical encoding of what it decodes to.
 */
export function fromBase64url(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/**
 * Strict base64 with padding, as keys are written in configuration (`openssl rand -base64 32`):
 * Node's decoder skips characters it does not know, so the text must be the canonical encoding
 * of what it decodes to.
 */
export function fromBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : undefined;
}

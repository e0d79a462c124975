import { randomFillSync } from 'node:crypto';

import { IntegrityError, ValidationError } from '@aman/errors';

import {
  KEY_BYTES,
  assertAadPart,
  assertKey,
  decrypt,
  encrypt,
  fromBase64,
  fromBase64url,
  toBase64url,
} from './aesGcm.ts';

/** A key-encryption key from configuration (a KMS in production), known by its id. */
export type MasterKey = { readonly id: string; readonly key: Uint8Array };

/**
 * A case's data key encrypted under a master key: JSON as it is, for a key store. Binary parts
 * are base64url. Erasing a case deletes this record (crypto-shredding).
 */
export type WrappedDataKey = {
  readonly masterKeyId: string;
  readonly nonce: string;
  readonly ciphertext: string;
  readonly tag: string;
};

/** Master key ids name configuration, never people; restricted so they can go into messages. */
const MASTER_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A fresh data key for one case: 32 bytes from the CSPRNG. */
export function generateDataKey(): Uint8Array {
  return randomFillSync(new Uint8Array(KEY_BYTES));
}

/** A master key from configuration: an id and 32 bytes in base64 (e.g. `openssl rand -base64 32`). */
export function masterKeyFromBase64(id: string, encoded: string): MasterKey {
  assertMasterKeyId(id);
  const key = fromBase64(typeof encoded === 'string' ? encoded.trim() : undefined);
  // The key's characters stay out of the message: it is a secret.
  if (key === undefined || key.length !== KEY_BYTES) {
    throw new ValidationError(
      `master key ${id} must be ${KEY_BYTES} bytes in canonical base64 (padding included)`,
    );
  }
  return { id, key: new Uint8Array(key) };
}

function assertMasterKeyId(id: string): void {
  if (typeof id !== 'string' || !MASTER_KEY_ID.test(id)) {
    throw new ValidationError('a master key id must be 1-64 characters of A-Z a-z 0-9 . _ -');
  }
}

/** The wrapped key opens only for the case it was made for. */
function associatedData(caseId: string): string {
  assertAadPart(caseId, 'caseId');
  return `aman-dk-v1|${caseId}`;
}

export function wrapDataKey(
  dataKey: Uint8Array,
  master: MasterKey,
  caseId: string,
): WrappedDataKey {
  assertKey(dataKey, 'a data key');
  assertMasterKeyId(master.id);
  assertKey(master.key, `master key ${master.id}`);
  const { nonce, ciphertext, tag } = encrypt(master.key, dataKey, associatedData(caseId));
  return {
    masterKeyId: master.id,
    nonce: toBase64url(nonce),
    ciphertext: toBase64url(ciphertext),
    tag: toBase64url(tag),
  };
}

/**
 * The case's data key, with whichever configured master key wrapped it. A record that is not a
 * wrapped key, names a master key that is not configured, or does not authenticate for this case
 * is an IntegrityError.
 */
export function unwrapDataKey(
  wrapped: WrappedDataKey,
  masterKeysById: ReadonlyMap<string, Uint8Array>,
  caseId: string,
): Uint8Array {
  const aad = associatedData(caseId);
  // Read from a store: typed by the caller, checked here.
  const record = fieldsOf(wrapped);
  const masterKeyId = record.masterKeyId;
  const nonce = fromBase64url(record.nonce);
  const ciphertext = fromBase64url(record.ciphertext);
  const tag = fromBase64url(record.tag);
  if (
    typeof masterKeyId !== 'string' ||
    !MASTER_KEY_ID.test(masterKeyId) ||
    nonce === undefined ||
    ciphertext === undefined ||
    tag === undefined
  ) {
    throw new IntegrityError('a wrapped data key is malformed');
  }
  const masterKey = masterKeysById.get(masterKeyId);
  if (masterKey === undefined) {
    throw new IntegrityError(
      `a data key is wrapped by master key ${masterKeyId}, which is not configured`,
    );
  }
  assertKey(masterKey, `master key ${masterKeyId}`);
  const plain = decrypt(masterKey, { nonce, ciphertext, tag }, aad, 'a wrapped data key');
  // Copied out of Node's buffer pool, then wiped there, so the key lives in one place only.
  const dataKey = new Uint8Array(plain);
  plain.fill(0);
  if (dataKey.length !== KEY_BYTES) {
    throw new IntegrityError('a wrapped data key does not hold a 32-byte key');
  }
  return dataKey;
}

function fieldsOf(value: unknown): Partial<Record<keyof WrappedDataKey, unknown>> {
  return typeof value === 'object' && value !== null ? value : {};
}

/**
 * Master-key rotation: the same data key wrapped under `newMaster`. Sealed values are untouched
 * and keep opening; once every record is rewrapped, the old master key can be retired.
 */
export function rewrapDataKey(
  wrapped: WrappedDataKey,
  masterKeysById: ReadonlyMap<string, Uint8Array>,
  newMaster: MasterKey,
  caseId: string,
): WrappedDataKey {
  const dataKey = unwrapDataKey(wrapped, masterKeysById, caseId);
  try {
    return wrapDataKey(dataKey, newMaster, caseId);
  } finally {
    dataKey.fill(0);
  }
}

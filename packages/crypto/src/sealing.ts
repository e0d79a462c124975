import { IntegrityError } from '@aman/errors';

import {
  assertAadPart,
  assertKey,
  decrypt,
  encrypt,
  fromBase64url,
  toBase64url,
} from './aesGcm.ts';

/** Where a sealed value belongs: its case and the field it fills (e.g. `fullName`). */
export type SealContext = { readonly caseId: string; readonly field: string };

const VERSION = 'v1';

/**
 * Binds a ciphertext to its case and field, so a value copied into another case's event, or
 * into another field of the same case, does not open.
 */
function associatedData({ caseId, field }: SealContext): string {
  assertAadPart(caseId, 'caseId');
  assertAadPart(field, 'field');
  return `aman-pd-v1|${caseId}|${field}`;
}

/**
 * Encrypts one personal field with the case's data key: `v1.<nonce>.<ciphertext>.<tag>`, each
 * part base64url. A fresh random nonce per call, so sealing the same value twice gives two
 * different strings.
 */
export function seal(plaintext: string, dataKey: Uint8Array, context: SealContext): string {
  assertKey(dataKey, 'a data key');
  const aad = associatedData(context);
  const { nonce, ciphertext, tag } = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), aad);
  return [VERSION, toBase64url(nonce), toBase64url(ciphertext), toBase64url(tag)].join('.');
}

/**
 * Decrypts what `seal` made for the same case and field. Anything else — another version, a tag
 * that is not 16 bytes, an altered part, another key, case or field — is an IntegrityError whose
 * message holds nothing of the value.
 */
export function open(sealed: string, dataKey: Uint8Array, context: SealContext): string {
  assertKey(dataKey, 'a data key');
  const aad = associatedData(context);
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [version, ...encoded] = parts;
  const [nonce, ciphertext, tag] = encoded.map(fromBase64url);
  if (
    parts.length !== 4 ||
    version !== VERSION ||
    nonce === undefined ||
    ciphertext === undefined ||
    tag === undefined
  ) {
    throw new IntegrityError('a sealed value is malformed');
  }
  return decrypt(dataKey, { nonce, ciphertext, tag }, aad, 'a sealed value').toString('utf8');
}

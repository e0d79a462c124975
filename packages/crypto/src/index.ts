/**
 * Envelope encryption for personal data (DESIGN §5): each case has its own data key, which
 * AES-256-GCM-encrypts that case's personal fields one by one and is itself stored wrapped by a
 * master key. Destroying the wrapped data key makes every copy of the case's ciphertext unreadable.
 *
 * A blind index beside it: keyed HMAC tokens over normalised identifiers, so that intake can see
 * that two NGOs referred a likely same person without storing a name in the clear (README.md).
 */
export {
  generateDataKey,
  masterKeyFromBase64,
  rewrapDataKey,
  unwrapDataKey,
  wrapDataKey,
  type MasterKey,
  type WrappedDataKey,
} from './dataKeys.ts';
export { open, seal, type SealContext } from './sealing.ts';
export {
  blindIndexKeyFromBase64,
  blindIndexTokens,
  MIN_BLIND_INDEX_KEY_BYTES,
  type BlindIndexIdentifiers,
  type BlindIndexKey,
  type BlindIndexTokenKind,
} from './blindIndex.ts';
export { normaliseDate, normalisePhone } from './identifiers.ts';
export { MAX_NAME_LENGTH, normaliseName } from './names.ts';

/**
 * Envelope encryption for personal data (DESIGN §5): each case has its own data key, which
 * AES-256-GCM-encrypts that case's personal fields one by one and is itself stored wrapped by a
 * master key. Destroying the wrapped data key makes every copy of the case's ciphertext unreadable.
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

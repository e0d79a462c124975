import { createHash } from 'node:crypto';

/**
 * A stable id derived from its parts (a UUIDv8 of their SHA-256): the same organisation and
 * idempotency key always name the same case, the same case and provider the same referral. Parts
 * are joined unambiguously (JSON), so ('a', 'bc') and ('ab', 'c') differ.
 */
export function idFrom(namespace: string, ...parts: readonly string[]): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([namespace, ...parts]))
    .digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

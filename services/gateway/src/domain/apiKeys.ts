/**
 * API keys in their final format (after GitHub's tokens): a recognisable prefix, 30 base62
 * characters of randomness (≈178 bits) and a 6-character CRC32 checksum, so a mistyped or
 * truncated key is refused without a lookup, and a leaked one is easy to find by secret scanners.
 *   aman_<30 random><6 checksum>
 */
export const KEY_PREFIX = 'aman_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i += 1) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, length: number): string {
  let rest = value;
  let out = '';
  for (let i = 0; i < length; i += 1) {
    out = (BASE62[rest % 62] ?? '0') + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** A key from random bytes (at least 30): each byte picks a base62 character, then the checksum. */
export function formatApiKey(random: Uint8Array): string {
  if (random.length < RANDOM_LENGTH)
    throw new Error(`an API key needs ${RANDOM_LENGTH} random bytes`);
  // 256 mod 62 ≠ 0, so a plain modulo is slightly biased: bytes ≥ 248 are rejected by the caller's
  // generator (see issueApiKey), keeping every character uniform.
  let body = '';
  for (let i = 0; i < RANDOM_LENGTH; i += 1) body += BASE62[(random[i] ?? 0) % 62] ?? '0';
  return `${KEY_PREFIX}${body}${base62(crc32(body), CHECKSUM_LENGTH)}`;
}

/** True when `key` has the format and its checksum holds: worth a lookup. */
export function isWellFormedApiKey(key: string): boolean {
  if (!KEY_PATTERN.test(key)) return false;
  const body = key.slice(KEY_PREFIX.length, KEY_PREFIX.length + RANDOM_LENGTH);
  return key.slice(KEY_PREFIX.length + RANDOM_LENGTH) === base62(crc32(body), CHECKSUM_LENGTH);
}

/** A short public id for a key (logs, audit): its first random characters, never the whole key. */
export function apiKeyId(key: string): string {
  return `key_${key.slice(KEY_PREFIX.length, KEY_PREFIX.length + 8)}`;
}

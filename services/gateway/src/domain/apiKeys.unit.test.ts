import { describe, expect, it } from '@jest/globals';

import { apiKeyId, formatApiKey, isWellFormedApiKey } from './apiKeys.ts';

const random = Uint8Array.from({ length: 30 }, (_, i) => (i * 37) % 248);

describe('API key format', () => {
  it('formats a prefixed key with a checksum that verifies', () => {
    const key = formatApiKey(random);
    expect(key).toMatch(/^aman_[0-9A-Za-z]{36}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(apiKeyId(key)).toBe(`key_${key.slice(5, 13)}`);
  });

  it('refuses a key with one character changed, cut short, or without the prefix', () => {
    const key = formatApiKey(random);
    for (let i = 5; i < key.length; i += 1) {
      const swapped = key[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedApiKey(key.slice(0, i) + swapped + key.slice(i + 1))).toBe(false);
    }
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(key.replace('aman_', 'ghp_'))).toBe(false);
    expect(isWellFormedApiKey('')).toBe(false);
  });
});

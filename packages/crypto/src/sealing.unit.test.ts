import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { generateDataKey, open, seal } from './index.ts';

const caseA = { caseId: 'case-a', field: 'fullName' };
const canary = 'Canary Zarghuna Sadat';

/** Runs a synchronous step so that its throw becomes a rejection for `expectAmanError`. */
async function attempt(step: () => unknown): Promise<unknown> {
  return step();
}

/** The sealed value with one of its base64url parts replaced. */
function withPart(sealed: string, index: 1 | 2 | 3, change: (bytes: Buffer) => Buffer): string {
  const parts = sealed.split('.');
  parts[index] = change(Buffer.from(parts[index]!, 'base64url')).toString('base64url');
  return parts.join('.');
}

function flipFirstBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[0] = copy[0]! ^ 0x01;
  return copy;
}

describe('seal / open', () => {
  const dataKey = generateDataKey();

  it('opens what it sealed, for the same case and field', () => {
    for (const plaintext of [canary, '', 'ذبیح الله — ۰۷۹۹', 'x'.repeat(10_000)]) {
      expect(open(seal(plaintext, dataKey, caseA), dataKey, caseA)).toBe(plaintext);
    }
  });

  it('gives a compact versioned string that shows nothing of the value', () => {
    const sealed = seal(canary, dataKey, caseA);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain('Canary');
    expect(sealed).not.toContain(Buffer.from(canary).toString('base64url').slice(0, 8));
  });

  it('uses a fresh 96-bit nonce for every seal', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const nonce = seal(canary, dataKey, caseA).split('.')[1]!;
      expect(Buffer.from(nonce, 'base64url')).toHaveLength(12);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(1000);
  });

  it('refuses a value moved to another case or another field', async () => {
    const sealed = seal(canary, dataKey, caseA);
    await expectAmanError(
      attempt(() => open(sealed, dataKey, { ...caseA, caseId: 'case-b' })),
      'AMAN_ERR_INTEGRITY',
    );
    await expectAmanError(
      attempt(() => open(sealed, dataKey, { ...caseA, field: 'phone' })),
      'AMAN_ERR_INTEGRITY',
    );
  });

  it('refuses a truncated tag, even one that Node would accept without authTagLength', async () => {
    const sealed = seal(canary, dataKey, caseA);
    for (const length of [15, 12, 8, 4, 0]) {
      const truncated = withPart(sealed, 3, (tag) => tag.subarray(0, length));
      await expectAmanError(
        attempt(() => open(truncated, dataKey, caseA)),
        'AMAN_ERR_INTEGRITY',
      );
    }
    const longer = withPart(sealed, 3, (tag) => Buffer.concat([tag, Buffer.from([0])]));
    await expectAmanError(
      attempt(() => open(longer, dataKey, caseA)),
      'AMAN_ERR_INTEGRITY',
    );
  });

  it('refuses an altered tag, ciphertext or nonce', async () => {
    const sealed = seal(canary, dataKey, caseA);
    for (const index of [1, 2, 3] as const) {
      const altered = withPart(sealed, index, flipFirstBit);
      await expectAmanError(
        attempt(() => open(altered, dataKey, caseA)),
        'AMAN_ERR_INTEGRITY',
      );
    }
    const shortened = withPart(sealed, 2, (ciphertext) => ciphertext.subarray(1));
    await expectAmanError(
      attempt(() => open(shortened, dataKey, caseA)),
      'AMAN_ERR_INTEGRITY',
    );
  });

  it('refuses another data key', async () => {
    const sealed = seal(canary, dataKey, caseA);
    await expectAmanError(
      attempt(() => open(sealed, generateDataKey(), caseA)),
      'AMAN_ERR_INTEGRITY',
    );
  });

  it('answers malformed input with an IntegrityError that holds none of it, never a crash', async () => {
    const sealed = seal(canary, dataKey, caseA);
    const [, nonce, ciphertext, tag] = sealed.split('.');
    const malformed: unknown[] = [
      '',
      'v1',
      'v1...',
      canary,
      `v2.${nonce}.${ciphertext}.${tag}`,
      `v1.${nonce}.${ciphertext}`,
      `v1.${nonce}.${ciphertext}.${tag}.${tag}`,
      `v1.${nonce}.${ciphertext}!.${tag}`,
      `v1.${nonce}=.${ciphertext}.${tag}`,
      `v1.${nonce}.${ciphertext} .${tag}`,
      `v1.${nonce}.${Buffer.from(canary).toString('base64')}.${tag}`,
      undefined,
      null,
      42,
      { sealed },
    ];
    for (const input of malformed) {
      const error = await expectAmanError(
        attempt(() => open(input as string, dataKey, caseA)),
        'AMAN_ERR_INTEGRITY',
      );
      expect(error.message).not.toContain('Canary');
    }
  });

  it('refuses keys of the wrong size and a case or field that could blur the associated data', async () => {
    await expectAmanError(
      attempt(() => seal(canary, new Uint8Array(16), caseA)),
      'AMAN_ERR_VALIDATION',
    );
    const sealed = seal(canary, dataKey, caseA);
    await expectAmanError(
      attempt(() => open(sealed, dataKey.subarray(0, 31), caseA)),
      'AMAN_ERR_VALIDATION',
    );
    // `a|b` + `c` and `a` + `b|c` would otherwise give the same associated data.
    await expectAmanError(
      attempt(() => seal(canary, dataKey, { caseId: 'a|b', field: 'c' })),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      attempt(() => seal(canary, dataKey, { caseId: 'a', field: 'b|c' })),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      attempt(() => seal(canary, dataKey, { caseId: '', field: 'fullName' })),
      'AMAN_ERR_VALIDATION',
    );
  });
});

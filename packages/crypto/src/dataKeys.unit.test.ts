import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import {
  generateDataKey,
  masterKeyFromBase64,
  open,
  rewrapDataKey,
  seal,
  unwrapDataKey,
  wrapDataKey,
  type MasterKey,
  type WrappedDataKey,
} from './index.ts';

async function attempt(step: () => unknown): Promise<unknown> {
  return step();
}

function masterKey(id: string): MasterKey {
  return { id, key: new Uint8Array(randomBytes(32)) };
}

function keyring(...keys: MasterKey[]): ReadonlyMap<string, Uint8Array> {
  return new Map(keys.map((master) => [master.id, master.key]));
}

describe('data keys', () => {
  const old = masterKey('master-2025');
  const next = masterKey('master-2026');

  it('generates 32 random bytes per case', () => {
    const a = generateDataKey();
    const b = generateDataKey();
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('wraps a data key as JSON that unwraps, with the master key it names', () => {
    const dataKey = generateDataKey();
    const wrapped = wrapDataKey(dataKey, old, 'case-a');
    expect(wrapped.masterKeyId).toBe('master-2025');
    const stored = JSON.parse(JSON.stringify(wrapped)) as WrappedDataKey;
    expect(unwrapDataKey(stored, keyring(next, old), 'case-a')).toEqual(dataKey);
    // Two wraps of one key differ: a fresh nonce each time.
    expect(wrapDataKey(dataKey, old, 'case-a').nonce).not.toBe(wrapped.nonce);
  });

  it('refuses to unwrap for another case, with another key, or without the named master key', async () => {
    const wrapped = wrapDataKey(generateDataKey(), old, 'case-a');
    await expectAmanError(
      attempt(() => unwrapDataKey(wrapped, keyring(old), 'case-b')),
      'AMAN_ERR_INTEGRITY',
    );
    const impostor = { id: old.id, key: next.key };
    await expectAmanError(
      attempt(() => unwrapDataKey(wrapped, keyring(impostor), 'case-a')),
      'AMAN_ERR_INTEGRITY',
    );
    const missing = await expectAmanError(
      attempt(() => unwrapDataKey(wrapped, keyring(next), 'case-a')),
      'AMAN_ERR_INTEGRITY',
    );
    expect(missing.message).toContain('master-2025');
  });

  it('rewraps under a new master key; values sealed before still open', () => {
    const dataKey = generateDataKey();
    const wrapped = wrapDataKey(dataKey, old, 'case-a');
    const sealed = seal('Canary Zarghuna Sadat', dataKey, { caseId: 'case-a', field: 'fullName' });

    const rewrapped = rewrapDataKey(wrapped, keyring(old), next, 'case-a');
    expect(rewrapped.masterKeyId).toBe('master-2026');

    // The old master key can be retired: the new one alone opens the data key.
    const unwrapped = unwrapDataKey(rewrapped, keyring(next), 'case-a');
    expect(open(sealed, unwrapped, { caseId: 'case-a', field: 'fullName' })).toBe(
      'Canary Zarghuna Sadat',
    );
  });

  it('does not rewrap what it cannot unwrap', async () => {
    const wrapped = wrapDataKey(generateDataKey(), old, 'case-a');
    await expectAmanError(
      attempt(() => rewrapDataKey(wrapped, keyring(next), next, 'case-a')),
      'AMAN_ERR_INTEGRITY',
    );
  });

  it('answers a malformed wrapped key with an IntegrityError, never a crash', async () => {
    const wrapped = wrapDataKey(generateDataKey(), old, 'case-a');
    const tag = Buffer.from(wrapped.tag, 'base64url');
    const malformed: unknown[] = [
      null,
      undefined,
      'wrapped',
      {},
      { ...wrapped, masterKeyId: 42 },
      { ...wrapped, masterKeyId: 'master 2025' },
      { ...wrapped, nonce: `${wrapped.nonce}=` },
      { ...wrapped, ciphertext: '*' },
      { ...wrapped, tag: tag.subarray(0, 12).toString('base64url') },
      {
        ...wrapped,
        tag: Buffer.from(tag.map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString('base64url'),
      },
      { ...wrapped, ciphertext: undefined },
    ];
    for (const input of malformed) {
      await expectAmanError(
        attempt(() => unwrapDataKey(input as WrappedDataKey, keyring(old), 'case-a')),
        'AMAN_ERR_INTEGRITY',
      );
    }
  });

  it('refuses to wrap with a key of the wrong size or an id that is not a plain name', async () => {
    await expectAmanError(
      attempt(() => wrapDataKey(generateDataKey(), { id: 'short', key: new Uint8Array(16) }, 'c')),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      attempt(() => wrapDataKey(new Uint8Array(31), old, 'case-a')),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      attempt(() => wrapDataKey(generateDataKey(), { ...old, id: 'a key\n' }, 'case-a')),
      'AMAN_ERR_VALIDATION',
    );
  });

  it('reads a master key from configuration as base64, without echoing it in errors', async () => {
    const encoded = randomBytes(32).toString('base64');
    const master = masterKeyFromBase64('master-2026', encoded);
    expect(Buffer.from(master.key).toString('base64')).toBe(encoded);
    expect(wrapDataKey(generateDataKey(), master, 'case-a').masterKeyId).toBe('master-2026');

    const short = randomBytes(16).toString('base64');
    const error = await expectAmanError(
      attempt(() => masterKeyFromBase64('master-2026', short)),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toContain(short);
    await expectAmanError(
      attempt(() => masterKeyFromBase64('master-2026', `${encoded}!`)),
      'AMAN_ERR_VALIDATION',
    );
  });
});

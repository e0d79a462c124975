import { randomBytes } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import {
  blindIndexKeyFromBase64,
  blindIndexTokens,
  type BlindIndexIdentifiers,
  type BlindIndexKey,
} from './index.ts';

function blindIndexKey(id: string): BlindIndexKey {
  return { id, key: new Uint8Array(randomBytes(32)) };
}

const TOKEN = /^bi1\.([A-Za-z0-9_-]+)\.(name-dob|phone)\.([A-Za-z0-9_-]{43})$/;

/** A synthetic defender whose identifiers are easy to look for in output. */
const canary = {
  fullName: 'Canary Zarghona Popal',
  dateOfBirth: '1991-07-23',
  phone: '0799 876 543',
};

describe('blind index keys', () => {
  it('reads a key of at least 32 bytes from canonical base64', () => {
    for (const size of [32, 64]) {
      const encoded = randomBytes(size).toString('base64');
      const key = blindIndexKeyFromBase64('bi-2026', encoded);
      expect(key.id).toBe('bi-2026');
      expect(Buffer.from(key.key).toString('base64')).toBe(encoded);
    }
  });

  it('refuses short or malformed keys and ids that could not sit in a token, without echoing the key', async () => {
    const short = randomBytes(16).toString('base64');
    const error = await expectAmanError(
      () => blindIndexKeyFromBase64('bi-2026', short),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toContain(short);
    const encoded = randomBytes(32).toString('base64');
    for (const bad of [`${encoded}!`, encoded.replace(/=+$/, ''), '', undefined]) {
      await expectAmanError(
        () => blindIndexKeyFromBase64('bi-2026', bad as string),
        'AMAN_ERR_VALIDATION',
      );
    }
    for (const id of ['bi.2026', '', 'a key', 'x'.repeat(65), 42]) {
      await expectAmanError(
        () => blindIndexKeyFromBase64(id as string, encoded),
        'AMAN_ERR_VALIDATION',
      );
    }
  });
});

describe('blindIndexTokens', () => {
  const key = blindIndexKey('bi-2026');

  it('gives a name-and-date token and a phone token, naming the key and the kind', () => {
    const tokens = blindIndexTokens(canary, key);
    expect(tokens).toHaveLength(2);
    expect(tokens.map((token) => TOKEN.exec(token)?.slice(1, 3))).toEqual([
      ['bi-2026', 'name-dob'],
      ['bi-2026', 'phone'],
    ]);
  });

  it('is deterministic, and meets across NGOs that spell the same person differently', () => {
    const first = blindIndexTokens(
      { fullName: 'Mohammad Nasim Karimi', dateOfBirth: '1988-03-21', phone: '0701234567' },
      key,
    );
    expect(
      blindIndexTokens(
        { fullName: 'Mohammad Nasim Karimi', dateOfBirth: '1988-03-21', phone: '0701234567' },
        key,
      ),
    ).toEqual(first);
    expect(
      blindIndexTokens(
        { fullName: 'محمد نسیم کریمی', dateOfBirth: '۱۹۸۸/۰۳/۲۱', phone: '+93 70 123 4567' },
        key,
      ),
    ).toEqual(first);
    expect(
      blindIndexTokens(
        { fullName: 'KARIMI, Muhammad Naseem', dateOfBirth: '1988-3-21', phone: '0093701234567' },
        key,
      ),
    ).toEqual(first);
  });

  it('tells people apart by name, date of birth and phone', () => {
    const base = blindIndexTokens(canary, key);
    const [nameDob, phone] = base;
    expect(blindIndexTokens({ ...canary, fullName: 'Canary Zarghona Popalzai' }, key)[0]).not.toBe(
      nameDob,
    );
    expect(blindIndexTokens({ ...canary, dateOfBirth: '1991-07-24' }, key)[0]).not.toBe(nameDob);
    expect(blindIndexTokens({ ...canary, phone: '0799 876 544' }, key)[1]).not.toBe(phone);
  });

  it('gives other tokens under another key, and the key id says which key made a token', () => {
    const other = blindIndexTokens(canary, blindIndexKey('bi-2027'));
    const mine = blindIndexTokens(canary, key);
    other.forEach((token, i) => {
      expect(TOKEN.exec(token)?.[3]).not.toBe(TOKEN.exec(mine[i]!)?.[3]);
      expect(token.startsWith('bi1.bi-2027.')).toBe(true);
    });
    // The same key bytes under another id: the same MAC, but a token that names the other id.
    const renamed = blindIndexTokens(canary, { id: 'bi-renamed', key: key.key });
    expect(renamed.map((token) => TOKEN.exec(token)?.[3])).toEqual(
      mine.map((token) => TOKEN.exec(token)?.[3]),
    );
  });

  it('gives no name token without a date of birth (a name alone is shared by too many)', () => {
    const cases: [BlindIndexIdentifiers, string[]][] = [
      [{ fullName: canary.fullName }, []],
      [{ dateOfBirth: canary.dateOfBirth }, []],
      [{ fullName: canary.fullName, phone: canary.phone }, ['phone']],
      [{ phone: canary.phone }, ['phone']],
      [{ fullName: canary.fullName, dateOfBirth: canary.dateOfBirth }, ['name-dob']],
      [{ fullName: '  ', dateOfBirth: canary.dateOfBirth, phone: '' }, []],
      [{}, []],
    ];
    for (const [ids, kinds] of cases) {
      expect(blindIndexTokens(ids, key).map((token) => TOKEN.exec(token)?.[2])).toEqual(kinds);
    }
  });

  it('shows nothing of the identifiers in its tokens', () => {
    const text = blindIndexTokens(canary, key).join(' ');
    const digits = text.replace(/[^0-9]/g, '');
    for (const part of ['Canary', 'canary', 'Zarghona', 'Popal', 'ppl', 'zrGn', 'knr']) {
      expect(text).not.toContain(part);
    }
    expect(digits).not.toContain('1991');
    expect(digits).not.toContain('876543');
  });

  it('refuses identifiers it cannot normalise, naming the field and not its value', async () => {
    const bad: [BlindIndexIdentifiers, string][] = [
      [{ ...canary, dateOfBirth: 'Canary 23/07/1991' }, 'dateOfBirth'],
      [{ ...canary, dateOfBirth: '1370-05-01' }, 'dateOfBirth'],
      [{ dateOfBirth: 'Canary' }, 'dateOfBirth'],
      [{ ...canary, phone: 'Canary 0799' }, 'phone'],
      [{ ...canary, fullName: 'Dr. 1234' }, 'fullName'],
      [{ ...canary, fullName: 42 as unknown as string }, 'fullName'],
      [{ ...canary, phone: 799876543 as unknown as string }, 'phone'],
    ];
    for (const [ids, field] of bad) {
      const error = await expectAmanError(() => blindIndexTokens(ids, key), 'AMAN_ERR_VALIDATION');
      expect(error.message).toContain(field);
      expect(error.message).not.toMatch(/Canary|1234|0799|799876543|42/);
    }
    for (const notIdentifiers of [null, 'Canary', 42]) {
      const error = await expectAmanError(
        () => blindIndexTokens(notIdentifiers as unknown as BlindIndexIdentifiers, key),
        'AMAN_ERR_VALIDATION',
      );
      expect(error.message).not.toContain('Canary');
    }
  });

  it('refuses a key that is too short or whose id could not sit in a token', async () => {
    const keys: unknown[] = [
      { id: 'bi-2026', key: new Uint8Array(16) },
      { id: 'bi.2026', key: key.key },
      { id: 'bi-2026', key: 'not bytes' },
      { key: key.key },
      null,
    ];
    for (const bad of keys) {
      await expectAmanError(
        () => blindIndexTokens(canary, bad as BlindIndexKey),
        'AMAN_ERR_VALIDATION',
      );
    }
  });
});

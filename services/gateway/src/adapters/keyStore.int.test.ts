import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { MongoClient } from 'mongodb';

import { MongoReadModelStore, SqliteReadModelStore, type ReadModelStore } from '@aman/projections';
import { describeWithMongo, expectAmanError, readMongoDatabases } from '@aman/testing';

import { isWellFormedApiKey } from '../domain/apiKeys.ts';
import { ApiKeyStore, newApiKey } from './keyStore.ts';

/** Everything the store holds, as text, to look for a plaintext key in. */
type Dump = () => Promise<string>;

function keyStoreSuite(open: () => Promise<{ store: ReadModelStore; dump: Dump }>): void {
  let store: ReadModelStore;
  let dump: Dump;
  let keys: ApiKeyStore;
  let now = Date.now();

  beforeAll(async () => {
    ({ store, dump } = await open());
    keys = await ApiKeyStore.open(store, { now: () => now });
  });

  afterAll(async () => {
    await store.close();
  });

  it('issues prefixed, checksummed, unique keys and keeps only their hash', async () => {
    const organisation = await keys.createOrganisation('Key test NGO', 'ngo');
    const issued = [];
    for (let i = 0; i < 50; i += 1) issued.push(await keys.issueKey(organisation.id));
    expect(new Set(issued.map((each) => each.key)).size).toBe(50);
    for (const { key, keyId } of issued) {
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(key.startsWith('aman_')).toBe(true);
      expect(keyId).toBe(`key_${key.slice(5, 13)}`);
    }
    const stored = await dump();
    expect(stored).toContain(issued[0]?.keyId);
    for (const { key } of issued) {
      // Neither the key nor its secret part (after the id) is stored.
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.slice(13));
    }
  });

  it('revokes one key at once, and every key of an organisation in one call', async () => {
    const organisation = await keys.createOrganisation('Revoked provider', 'provider');
    const first = await keys.issueKey(organisation.id);
    const second = await keys.issueKey(organisation.id);
    const other = await keys.createOrganisation('Untouched NGO', 'ngo');
    const untouched = await keys.issueKey(other.id);
    expect((await keys.authenticate(first.key))?.principal).toMatchObject({ keyId: first.keyId });

    const revoked = await keys.revokeKey(first.keyId);
    expect(revoked.revokedAt).not.toBe('');
    expect(await keys.authenticate(first.key)).toBeUndefined();
    expect(await keys.authenticate(second.key)).toBeDefined();
    // Again: nothing changes, not even the time.
    expect((await keys.revokeKey(first.keyId)).revokedAt).toBe(revoked.revokedAt);

    const all = await keys.revokeOrganisation(organisation.id);
    expect(all.map((key) => key.keyId).sort()).toEqual([first.keyId, second.keyId].sort());
    expect(await keys.authenticate(second.key)).toBeUndefined();
    expect(await keys.authenticate(untouched.key)).toBeDefined();
    await expectAmanError(keys.revokeKey('key_nothere'), 'AMAN_ERR_NOT_FOUND');
    await expectAmanError(keys.revokeOrganisation('org_nothere'), 'AMAN_ERR_NOT_FOUND');
  });

  it('records when a key was last used, at most once a minute', async () => {
    const organisation = await keys.createOrganisation('Busy monitor', 'monitor');
    const { key, keyId } = await keys.issueKey(organisation.id);
    const lastUsed = async () =>
      (await keys.keys(organisation.id)).find((each) => each.keyId === keyId)?.lastUsedAt;
    expect(await lastUsed()).toBe('');
    now = Date.parse('2026-06-01T10:00:00.000Z');
    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-06-01T10:00:00.000Z');
    now = Date.parse('2026-06-01T10:00:59.000Z');
    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-06-01T10:00:00.000Z');
    now = Date.parse('2026-06-01T10:01:00.000Z');
    await keys.authenticate(key);
    expect(await lastUsed()).toBe('2026-06-01T10:01:00.000Z');
  });

  it('expires a key after its days, and gives it only the scopes it was issued with', async () => {
    const organisation = await keys.createOrganisation('Short-lived NGO', 'ngo');
    now = Date.parse('2026-07-01T00:00:00.000Z');
    const { key, expiresAt } = await keys.issueKey(organisation.id, { days: 2, scopes: ['read'] });
    expect(expiresAt).toBe('2026-07-03T00:00:00.000Z');
    expect((await keys.authenticate(key))?.scopes).toEqual(['read']);
    now = Date.parse('2026-07-02T23:59:59.999Z');
    expect(await keys.authenticate(key)).toBeDefined();
    now = Date.parse('2026-07-03T00:00:00.000Z');
    expect(await keys.authenticate(key)).toBeUndefined();
    // A year and both scopes unless said otherwise; never longer than two years, never no scope.
    const usual = await keys.issueKey(organisation.id);
    expect(Date.parse(usual.expiresAt) - now).toBe(365 * 86_400_000);
    expect((await keys.authenticate(usual.key))?.scopes).toEqual(['read', 'write']);
    await expectAmanError(keys.issueKey(organisation.id, { days: 731 }), 'AMAN_ERR_VALIDATION');
    await expectAmanError(keys.issueKey(organisation.id, { scopes: [] }), 'AMAN_ERR_VALIDATION');
    now = Date.now();
  });

  it('lists organisations and keys without a secret', async () => {
    const organisations = await keys.organisations();
    expect(organisations.map((each) => each.name)).toEqual(
      expect.arrayContaining(['Key test NGO', 'Revoked provider', 'Busy monitor']),
    );
    const listed = JSON.stringify(await keys.keys(organisations[0]?.id ?? ''));
    expect(listed).not.toMatch(/aman_[0-9A-Za-z]{36}/);
  });
}

describe('new API keys', () => {
  it('are 10,000 distinct, well-formed keys whose random characters are uniform', () => {
    const keys = Array.from({ length: 10_000 }, () => newApiKey());
    expect(new Set(keys).size).toBe(10_000);
    const counts = new Map<string, number>();
    for (const key of keys) {
      expect(key).toMatch(/^aman_[0-9A-Za-z]{36}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
      for (const character of key.slice(5, 35))
        counts.set(character, (counts.get(character) ?? 0) + 1);
    }
    // 300,000 characters over 62: about 4,839 each. A modulo bias (256 mod 62) would put the
    // first eight characters about 25% above the rest; a uniform draw stays within a few percent.
    expect(counts.size).toBe(62);
    for (const count of counts.values()) expect(Math.abs(count - 300_000 / 62)).toBeLessThan(400);
  });
});

describe('API key store, SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-keys-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  keyStoreSuite(async () => ({
    store: new SqliteReadModelStore({ path: join(dir, 'gateway.db') }),
    dump: async () =>
      readdirSync(dir)
        .map((file) => readFileSync(join(dir, file)).toString('latin1'))
        .join('\n'),
  }));
});

describeWithMongo('API key store, MongoDB', ({ uri, database }) => {
  let client: MongoClient;
  afterAll(async () => {
    await client.close();
  });
  keyStoreSuite(async () => {
    client = new MongoClient(uri);
    await client.connect();
    return {
      store: new MongoReadModelStore({ client, database }),
      dump: async () =>
        (await readMongoDatabases(uri, database)).map((collection) => collection.text).join('\n'),
    };
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { SqliteEventStore } from '@aman/eventstore';
import { OutboundClient, type Resolver } from '@aman/outbound';
import type { Principal } from '@aman/service-kit';
import { expectAmanError } from '@aman/testing';

import { ProviderDirectory, type ProviderRegistration } from './providerDirectory.ts';

const admin: Principal = { organisationId: 'org-aman', organisationType: 'admin', keyId: 'key_a' };

/** A resolver that answers what the test says, so no real DNS is asked. */
const answers: Record<string, string> = {
  'hooks.embassy.example': '203.0.114.10',
  'intranet.embassy.example': '10.20.30.40',
  'metadata.example': '169.254.169.254',
  'mapped.example': '::ffff:127.0.0.1',
};
const resolver: Resolver = (hostname) => {
  const address = answers[hostname];
  return Promise.resolve(
    address === undefined ? [] : [{ address, family: address.includes(':') ? 6 : 4 }],
  );
};

function registration(organisationId: string, webhookUrl: string): ProviderRegistration {
  return {
    organisationId,
    type: 'RECIPIENT_TYPE_EMBASSY',
    services: ['NEED_RELOCATION_ABROAD'],
    riskLevels: ['RISK_LEVEL_HIGH'],
    webhookUrl,
    webhookSecret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  };
}

describe('provider registration checks the webhook URL against the SSRF rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-providers-'));
  const store = new SqliteEventStore({ path: join(dir, 'referral.events.db') });
  const outbound = new OutboundClient({ resolver });
  const directory = new ProviderDirectory(store, { checkUrl: (url) => outbound.check(url) });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['plain http', 'http://hooks.embassy.example/aman'],
    ['a private address behind a name', 'https://intranet.embassy.example/aman'],
    ['the cloud metadata address', 'https://metadata.example/latest'],
    ['loopback in IPv6-mapped form', 'https://mapped.example/'],
    ['a literal loopback address', 'https://127.0.0.1/hook'],
  ])('refuses %s, and stores nothing', async (_, url) => {
    const organisationId = `org-${Math.random().toString(36).slice(2)}`;
    const error = await expectAmanError(
      directory.register(admin, registration(organisationId, url)),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toContain('embassy.example');
    expect(await store.streamVersion(`provider-${organisationId}`)).toBeUndefined();
  });

  it('registers a provider whose URL resolves to a public address', async () => {
    const registered = await directory.register(
      admin,
      registration('org-embassy-ok', 'https://hooks.embassy.example/aman'),
    );
    expect(registered.providerId).toEqual(expect.any(String));
  });
});

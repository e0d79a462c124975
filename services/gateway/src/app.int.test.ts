import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';

import { accountability, intake, projections, referral, risk } from '@aman/contracts';
import { SqliteReadModelStore } from '@aman/projections';
import { ServiceClient, ServiceIdentity, createLogger, grpcHealth } from '@aman/service-kit';

import { ApiKeyStore, newApiKey } from './adapters/keyStore.ts';
import { apiKeyId } from './domain/apiKeys.ts';
import { buildApp, type GatewayClients, type GatewayLimits } from './app.ts';

/** Clients of every service at an address where nothing answers: a call that got through fails. */
function clientsNowhere(identity: ServiceIdentity, deadlineMs: number): GatewayClients {
  const client = <C extends Client>(
    audience: string,
    type: new (address: string, credentials: ChannelCredentials) => C,
  ) => new ServiceClient({ audience, address: '127.0.0.1:1', client: type, identity, deadlineMs });
  return {
    intake: client('intake', intake.IntakeServiceClient),
    risk: client('risk-assessment', risk.RiskAssessmentServiceClient),
    referral: client('referral', referral.ReferralServiceClient),
    accountability: client('accountability', accountability.AccountabilityServiceClient),
    monitoring: client('accountability', accountability.MonitoringServiceClient),
    projections: client('projections', projections.ProjectionsServiceClient),
  };
}

// Routes that fail before any service is called: authentication, authorisation, validation and
// the contract. Nothing listens at the services' address, so a call that got through would fail.
describe('gateway (inject, no services)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-gw-'));
  let app: Awaited<ReturnType<typeof buildApp>>;
  let keyStore: SqliteReadModelStore;
  const keys: Record<'ngo' | 'provider' | 'monitor', string> = {
    ngo: '',
    provider: '',
    monitor: '',
  };

  beforeAll(async () => {
    keyStore = new SqliteReadModelStore({ path: join(dir, 'gateway.db') });
    const store = await ApiKeyStore.open(keyStore);
    for (const type of ['ngo', 'provider', 'monitor'] as const) {
      const organisation = await store.createOrganisation(`Test ${type}`, type);
      keys[type] = (await store.issueKey(organisation.id)).key;
    }
    const identity = await ServiceIdentity.load('gateway', join(dir, 'keys'));
    app = await buildApp({
      keys: store,
      logger: createLogger('gateway', 'silent'),
      clients: clientsNowhere(identity, 500),
    });
  });

  afterAll(async () => {
    await app.close();
    await keyStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const incident = {
    caseId: 'c-1',
    act: 'ACT_DEATH_THREAT',
    occurredOn: '2026-01-02',
    province: 'AF-KAB',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
    sourceType: 'SOURCE_TYPE_NGO',
  };
  const post = (key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/incidents',
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        'idempotency-key': 'incident-0001',
        ...headers,
      },
      payload: body as Record<string, unknown>,
    });

  it('answers 401 without a key, or with a malformed, unknown or altered one', async () => {
    for (const key of [undefined, 'nope', `${keys.monitor.slice(0, -1)}x`]) {
      const response = await post(key, incident);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: { code: 'AMAN_ERR_UNAUTHENTICATED' } });
      expect(response.json<{ error: { requestId: string } }>().error.requestId).toMatch(/.{8}/);
    }
  });

  it('answers 403 when the organisation type may not call the route', async () => {
    const response = await post(keys.ngo, incident);
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: 'AMAN_ERR_FORBIDDEN' } });
  });

  it('answers 400 to unknown fields, injection attempts, bad values and a missing idempotency key', async () => {
    for (const body of [
      { ...incident, extra: 1 },
      { ...incident, caseId: { $gt: '' } },
      { ...incident, act: 'ACT_UNSPECIFIED' },
      { ...incident, occurredOn: 'yesterday' },
      JSON.parse(`{"__proto__": {"admin": true}, "caseId": "c-1"}`) as unknown,
    ]) {
      const response = await post(keys.monitor, body);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'AMAN_ERR_VALIDATION' } });
    }
    const missing = await app.inject({
      method: 'POST',
      url: '/v1/incidents',
      headers: { authorization: `Bearer ${keys.monitor}` },
      payload: incident,
    });
    expect(missing.statusCode).toBe(400);
  });

  it('answers 503 when the owning service does not answer, saying nothing more', async () => {
    const response = await post(keys.monitor, incident);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'AMAN_ERR_UNAVAILABLE' } });
  });

  it('takes a provider’s answer with no body at all, as with an empty one', async () => {
    for (const payload of [undefined, {}]) {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/referrals/r-1/acknowledge',
        headers: { authorization: `Bearer ${keys.provider}` },
        ...(payload === undefined ? {} : { payload }),
      });
      // Through to the referral service, which does not answer here.
      expect(response.statusCode).toBe(503);
    }
  });

  it('serves browsable docs of the document from this process, with their own narrow policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    for (const asset of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/init.js']) {
      expect((await app.inject({ method: 'GET', url: asset })).statusCode).toBe(200);
    }
    expect((await app.inject({ method: 'GET', url: '/docs/package.json' })).statusCode).toBe(404);
    // The AsyncAPI document beside it, public too (asyncapi.unit.test.ts validates it).
    const asyncApi = await app.inject({ method: 'GET', url: '/asyncapi.json' });
    expect([asyncApi.statusCode, asyncApi.json<{ asyncapi: string }>().asyncapi]).toEqual([
      200,
      '3.0.0',
    ]);
  });

  it('publishes an OpenAPI 3.1 document of every route it serves, and no other', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    const document = response.json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    const served = app.routeTable
      .filter((route) => route.url.startsWith('/v1/') && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(30);
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });
});

describe('gateway hardening (inject, no services)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-gw-hard-'));
  const logLines: string[] = [];
  let app: Awaited<ReturnType<typeof buildApp>>;
  let keyStore: SqliteReadModelStore;
  let store: ApiKeyStore;
  let ngoKey = '';
  const limits: GatewayLimits = {
    requestsPerMinute: 8,
    failuresPerKey: 3,
    failuresPerSource: 6,
    failureWindowMs: 60_000,
    notFoundFloorMs: 150,
  };

  beforeAll(async () => {
    keyStore = new SqliteReadModelStore({ path: join(dir, 'gateway.db') });
    store = await ApiKeyStore.open(keyStore);
    const organisation = await store.createOrganisation('Hardening NGO', 'ngo');
    ngoKey = (await store.issueKey(organisation.id)).key;
    const identity = await ServiceIdentity.load('gateway', join(dir, 'keys'));
    app = await buildApp({
      keys: store,
      limits,
      dependencies: {
        keyStore: async () => (await store.organisation('probe'), true),
        intake: async () => (await grpcHealth('127.0.0.1:1', 300)) === 'SERVING',
      },
      logger: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
      clients: clientsNowhere(identity, 300),
    });
  });

  afterAll(async () => {
    await app.close();
    await keyStore.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (
    url: string,
    key?: string,
    headers: Record<string, string> = {},
    remoteAddress = '127.0.0.1',
  ) =>
    app.inject({
      method: 'GET',
      url,
      remoteAddress,
      headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    });

  it('refuses an API key in the URL, and logs neither it nor the URL', async () => {
    for (const url of [
      `/v1/cases?api_key=${ngoKey}`,
      `/v1/cases?token=${ngoKey}`,
      `/v1/cases?limit=5&x=${ngoKey}`,
    ]) {
      const response = await get(url);
      expect([
        response.statusCode,
        response.json<{ error: { code: string } }>().error.code,
      ]).toEqual([401, 'AMAN_ERR_UNAUTHENTICATED']);
    }
    expect(logLines.join('\n')).not.toContain(ngoKey);
    expect(logLines.join('\n')).not.toContain('api_key');
  });

  it('sends the security headers on every answer, errors included', async () => {
    for (const response of [
      await get('/openapi.json'),
      await get('/v1/cases'),
      await get('/nope'),
    ]) {
      expect(response.headers).toMatchObject({
        'strict-transport-security': expect.stringContaining('max-age='),
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
    }
  });

  it('answers 404 to methods it does not serve and to metrics or debug paths', async () => {
    for (const [method, url] of [
      ['TRACE', '/v1/cases'],
      ['OPTIONS', '/v1/cases'],
      ['DELETE', '/v1/cases'],
      ['GET', '/metrics'],
      ['GET', '/debug'],
      ['GET', '/debug/pprof'],
    ] as const) {
      const response = await app.inject({
        // TRACE is not in light-my-request's list of methods, but goes through as any other.
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${ngoKey}` },
      });
      expect([method, url, response.statusCode]).toEqual([method, url, 404]);
    }
  });

  it('throttles failed authentications per key id with 429 and Retry-After, logging the key id only', async () => {
    const unknown = newApiKey();
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await get('/v1/cases', unknown, {
        'x-forwarded-for': `203.0.113.${String(i)}`,
      });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(response.json()).toMatchObject({ error: { code: 'AMAN_ERR_RATE_LIMITED' } });
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const logged = logLines.join('\n');
    expect(logged).toContain(apiKeyId(unknown));
    expect(logged).toContain('authentication_failed');
    expect(logged).not.toContain(unknown);
  });

  it('throttles a source whatever X-Forwarded-For says, but never a valid key from it', async () => {
    // Four failures so far from this source (the injected peer address); two more are allowed.
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await get('/v1/cases', newApiKey(), { 'x-forwarded-for': '198.51.100.7' });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429]);
    // A person behind the same Tor exit with a valid key is served.
    expect((await get('/v1/cases', ngoKey)).statusCode).toBe(503);
  });

  it('limits requests per key per minute', async () => {
    const statuses = [];
    for (let i = 0; i < limits.requestsPerMinute + 1; i += 1) {
      statuses.push((await get('/v1/cases', ngoKey)).statusCode);
    }
    // One request was made by the test before: the limit is reached one earlier.
    expect(statuses.slice(0, limits.requestsPerMinute - 1).every((status) => status === 503)).toBe(
      true,
    );
    const limited = await get('/v1/cases', ngoKey);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ error: { code: 'AMAN_ERR_RATE_LIMITED' } });
  });

  it('lets a read-only key read and refuses it anything else', async () => {
    const organisation = await store.createOrganisation('Read-only NGO', 'ngo');
    const { key } = await store.issueKey(organisation.id, { scopes: ['read'] });
    const read = await get('/v1/cases', key, {}, '192.0.2.60');
    // Through to the services, which do not answer here.
    expect(read.statusCode).toBe(503);
    const write = await app.inject({
      method: 'POST',
      url: '/v1/cases/c-1/erasure',
      remoteAddress: '192.0.2.60',
      headers: { authorization: `Bearer ${key}` },
    });
    expect([write.statusCode, write.json<{ error: { code: string } }>().error.code]).toEqual([
      403,
      'AMAN_ERR_FORBIDDEN',
    ]);
  });

  it('revokes a key with no grace period', async () => {
    const organisation = await store.createOrganisation('Revoked mid-session', 'ngo');
    const { key, keyId } = await store.issueKey(organisation.id);
    // From a source with no failures yet, so that the refusal is the revocation's.
    expect((await get('/v1/cases', key, {}, '192.0.2.50')).statusCode).toBe(503);
    await store.revokeKey(keyId);
    expect((await get('/v1/cases', key, {}, '192.0.2.50')).statusCode).toBe(401);
  });

  it('is live while it answers, and ready only while every dependency is', async () => {
    expect((await get('/health/live')).statusCode).toBe(200);
    const ready = await get('/health/ready');
    // The services at 127.0.0.1:1 do not answer: not ready, and which ones say so.
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({
      status: 'not ready',
      dependencies: [
        { name: 'keyStore', ready: true },
        { name: 'intake', ready: false },
      ],
    });
  });

  it('fails closed when the key store does not answer', async () => {
    const organisation = await store.createOrganisation('Store down', 'ngo');
    const { key } = await store.issueKey(organisation.id);
    await keyStore.close();
    const response = await get('/v1/cases', key);
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
    expect(response.statusCode).not.toBe(200);
    expect(response.json<{ error: { code: string } }>().error.code).toMatch(
      /AMAN_ERR_(UNAVAILABLE|INTERNAL)/,
    );
  });
});

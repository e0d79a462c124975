import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { accountability, intake, projections, referral, risk } from '@aman/contracts';
import { SqliteReadModelStore } from '@aman/projections';
import { ServiceClient, ServiceIdentity, createLogger } from '@aman/service-kit';

import { ApiKeyStore } from './adapters/keyStore.ts';
import { buildApp } from './app.ts';

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
    const nowhere = '127.0.0.1:1';
    const client = <C extends Client>(
      audience: string,
      type: new (address: string, credentials: ChannelCredentials) => C,
    ) => new ServiceClient({ audience, address: nowhere, client: type, identity, deadlineMs: 500 });
    app = await buildApp({
      keys: store,
      logger: createLogger('gateway', 'silent'),
      clients: {
        intake: client('intake', intake.IntakeServiceClient),
        risk: client('risk-assessment', risk.RiskAssessmentServiceClient),
        referral: client('referral', referral.ReferralServiceClient),
        accountability: client('accountability', accountability.AccountabilityServiceClient),
        monitoring: client('accountability', accountability.MonitoringServiceClient),
        projections: client('projections', projections.ProjectionsServiceClient),
      },
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

  it('publishes an OpenAPI 3.1 document of every /v1 route', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    const document = response.json<{ openapi: string; paths: Record<string, object> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/v1/cases',
      '/v1/cases/{caseId}',
      '/v1/cases/{caseId}/consent',
      '/v1/cases/{caseId}/duplicates/{matchId}',
      '/v1/cases/{caseId}/erasure',
      '/v1/cases/{caseId}/record',
      '/v1/cases/{caseId}/referrals',
      '/v1/cases/{caseId}/risk',
      '/v1/cases/{caseId}/risk/override',
      '/v1/cases/{caseId}/threats',
      '/v1/cases/{caseId}/withdrawal',
      '/v1/feed',
      '/v1/incidents',
      '/v1/incidents/{incidentId}/interventions',
      '/v1/incidents/{incidentId}/investigations',
      '/v1/incidents/{incidentId}/verification',
      '/v1/interventions/overdue',
      '/v1/interventions/{interventionId}/responses',
      '/v1/interventions/{interventionId}/status',
      '/v1/investigations/{investigationId}/steps',
      '/v1/provider/dead-letters',
      '/v1/provider/dead-letters/{notificationId}/redelivery',
      '/v1/provider/webhook',
      '/v1/provider/webhook/secret-rotation',
      '/v1/referrals',
      '/v1/referrals/{referralId}/accept',
      '/v1/referrals/{referralId}/acknowledge',
      '/v1/referrals/{referralId}/close',
      '/v1/referrals/{referralId}/complete',
      '/v1/referrals/{referralId}/decline',
      '/v1/referrals/{referralId}/info-answered',
      '/v1/referrals/{referralId}/packet',
      '/v1/referrals/{referralId}/progress',
      '/v1/referrals/{referralId}/request-info',
      '/v1/statistics/impunity',
    ]);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';

import { common, intake, referral } from '@aman/contracts';
import { SqliteEventStore, openSqlite, type EventStore, type JsonObject } from '@aman/eventstore';
import type { ReadModelCollection } from '@aman/projections';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  idFrom,
  implement,
  startGrpcServer,
  type GrpcServer,
  type Logger,
  type Principal,
} from '@aman/service-kit';
import type { Subscription } from '@aman/messaging';
import { eventually, expectAmanError } from '@aman/testing';

import { ProviderDirectory } from '../application/providerDirectory.ts';
import { Referrals } from '../application/referrals.ts';
import { RoutingProcess } from '../application/routingProcess.ts';
import { WebhookDelivery } from '../application/webhookDelivery.ts';
import type { ReferralEvent } from '../domain/index.ts';
import { REFERRAL_SERVICE_NAME, referralServer } from './grpcServer.ts';
import { intakePackets } from './intakePackets.ts';
import { httpWebhookSender } from './webhookSender.ts';

const admin: Principal = { organisationId: 'operator', organisationType: 'admin', keyId: 'cli' };
const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const providerPrincipal = (organisationId: string): Principal => ({
  organisationId,
  organisationType: 'provider',
  keyId: `key_${organisationId}`,
});
const embassy = providerPrincipal('org-embassy');
const legal = providerPrincipal('org-legal');
const medical = providerPrincipal('org-medical');

const secretFor = (): string => `whsec_${randomBytes(32).toString('base64')}`;
const TOKEN = 'canary-query-token';

/** Everything a log call was given, to search for what must never be logged. */
function recordingLogger(lines: string[]): Logger {
  const record = (...args: unknown[]) => {
    lines.push(
      JSON.stringify(args, (_key, value: unknown) =>
        value instanceof Error ? value.message : value,
      ),
    );
  };
  const logger = {
    info: record,
    warn: record,
    error: record,
    debug: record,
    trace: record,
    fatal: record,
  };
  return logger as unknown as Logger;
}

type Delivery = {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly payload: unknown;
};

/** A provider's webhook endpoint per path: verifies every request, answers as told. */
function webhookReceiver(
  secrets: Map<string, string>,
  answers: Map<string, (attempt: number) => { status: number; location?: string }>,
): { server: Server; deliveries: Delivery[]; requests: string[] } {
  const deliveries: Delivery[] = [];
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      requests.push(path);
      const secret = secrets.get(path);
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: unknown;
      try {
        payload = new Webhook(secret ?? secretFor()).verify(body, {
          'webhook-id': String(request.headers['webhook-id']),
          'webhook-timestamp': String(request.headers['webhook-timestamp']),
          'webhook-signature': String(request.headers['webhook-signature']),
        });
      } catch {
        response.writeHead(401).end();
        return;
      }
      deliveries.push({ path, headers: request.headers, payload });
      const attempt = deliveries.filter((delivery) => delivery.path === path).length;
      const answer = answers.get(path)?.(attempt) ?? { status: 204 };
      response
        .writeHead(
          answer.status,
          answer.location === undefined ? {} : { location: answer.location },
        )
        .end();
    });
  });
  return { server, deliveries, requests };
}

describe('referral over gRPC with the embedded platform', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-referral-'));
  const logLines: string[] = [];
  const secrets = new Map([
    ['/embassy', secretFor()],
    ['/legal', secretFor()],
    ['/medical', secretFor()],
  ]);
  const receiver = webhookReceiver(
    secrets,
    new Map([
      // Accepted at the third attempt.
      ['/legal', (attempt: number) => ({ status: attempt < 3 ? 503 : 200 })],
      // Never accepted; a redirect is not followed.
      ['/medical', () => ({ status: 307, location: '/trap' })],
    ]),
  );
  const packetsAsked: { request: intake.GetReferralPacketRequest; principal?: Principal }[] = [];
  let platform: Platform;
  let store: EventStore;
  let intakeStore: SqliteEventStore;
  let riskStore: SqliteEventStore;
  let providersSeen: ReadModelCollection;
  let deliveries: WebhookDelivery;
  let subscriptions: Subscription[];
  let intakeServer: GrpcServer;
  let server: GrpcServer;
  let intakeClient: ServiceClient<intake.IntakeServiceClient>;
  let asAdmin: ServiceClient<referral.ReferralServiceClient>;
  let asGateway: ServiceClient<referral.ReferralServiceClient>;
  let hooks: string;

  beforeAll(async () => {
    const keys = join(dir, 'keys');
    const logger = recordingLogger(logLines);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    hooks = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;

    // Intake stands in for itself: it answers packet requests from referral only.
    const notHere = { callers: [], handle: () => Promise.reject(new Error('not here')) };
    intakeServer = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'aman.intake.v1.IntakeService',
          definition: intake.IntakeServiceService,
          implementation: implement<intake.IntakeServiceServer>(
            'aman.intake.v1.IntakeService',
            {
              submitCase: notHere,
              getCase: notHere,
              updateCase: notHere,
              updateConsent: notHere,
              reportThreat: notHere,
              withdrawCase: notHere,
              eraseCase: notHere,
              respondToDuplicate: notHere,
              getReferralPacket: {
                callers: ['referral'],
                handle: async (request, call) => {
                  packetsAsked.push({
                    request,
                    ...(call.caller.principal === undefined
                      ? {}
                      : { principal: call.caller.principal }),
                  });
                  return {
                    packet: intake.ReferralPacket.fromJSON({
                      caseId: request.caseId,
                      referralId: request.referralId,
                      fieldGroups: ['FIELD_GROUP_IDENTITY'],
                      fullName: 'Canary Person',
                    }),
                  };
                },
              },
            },
            { identity: await ServiceIdentity.load('intake', keys), logger },
          ),
        },
      ],
    });

    platform = new Platform({ mode: 'embedded', dataDir: dir }, 'referral', logger);
    store = await platform.eventStore();
    const identity = await ServiceIdentity.load('referral', keys);
    intakeClient = new ServiceClient({
      audience: 'intake',
      address: `127.0.0.1:${intakeServer.port}`,
      client: intake.IntakeServiceClient,
      identity,
    });
    const providers = new ProviderDirectory(store);
    const referrals = new Referrals({ store, packets: intakePackets(intakeClient) });
    const readModels = await platform.readModels();
    const routing = await RoutingProcess.open(readModels, referrals, logger);
    providersSeen = await readModels.collection('providers', { indexes: [] });
    deliveries = new WebhookDelivery({
      referrals,
      providers,
      sender: httpWebhookSender(2_000),
      logger,
      retry: { attempts: 3, firstDelayMs: 100 },
    });
    subscriptions = [
      await platform.subscribe('routing', ['intake', 'risk', 'referral'], (event) =>
        routing.onEvent(event),
      ),
      await platform.subscribe('webhooks', ['referral'], (event) => deliveries.onEvent(event)),
    ];
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: REFERRAL_SERVICE_NAME,
          definition: referral.ReferralServiceService,
          implementation: referralServer({ providers, referrals, identity, logger }),
        },
      ],
    });
    const client = async (name: string) =>
      new ServiceClient({
        audience: 'referral',
        address: `127.0.0.1:${server.port}`,
        client: referral.ReferralServiceClient,
        identity: await ServiceIdentity.load(name, keys),
      });
    asAdmin = await client('admin');
    asGateway = await client('gateway');
    intakeStore = new SqliteEventStore({ path: join(dir, 'intake.events.db') });
    riskStore = new SqliteEventStore({ path: join(dir, 'risk-assessment.events.db') });
  });

  afterAll(async () => {
    // As main.ts stops: subscriptions first, then delivery, so nothing in flight is dead-lettered.
    const stopped = Promise.all(subscriptions.map((subscription) => subscription.stop()));
    deliveries.stop();
    await stopped;
    asAdmin.close();
    asGateway.close();
    intakeClient.close();
    await server.stop();
    await intakeServer.stop();
    await platform.close();
    await intakeStore.close();
    await riskStore.close();
    await new Promise((resolve) => receiver.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const registration = (
    organisationId: string,
    type: string,
    services: string[],
    riskLevels: string[],
    path: string,
  ) =>
    referral.RegisterProviderRequest.fromJSON({
      organisationId,
      type,
      services,
      riskLevels,
      webhookUrl: `${hooks}${path}?token=${TOKEN}`,
      webhookSecret: secrets.get(path),
    });

  const caseId = '0195a1c2-7f00-7000-8000-0000000ca5e1';
  const caseSubmitted = (id: string, needs: string[], consent: JsonObject[]) => ({
    type: 'CaseSubmitted',
    schemaVersion: 1,
    data: {
      caseId: id,
      organisationId: ngo.organisationId,
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      province: 'AF-HER',
      outsideCapital: true,
      threats: [
        {
          kind: 'THREAT_KIND_DEATH_THREAT',
          occurredOn: '2026-11-01',
          source: 'THREAT_SOURCE_ARMED_GROUP',
          objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
        },
      ],
      needs,
      consent,
      submittedAt: '2026-11-02T10:00:00.000Z',
    },
    metadata: {
      actor: { organisationId: ngo.organisationId, principalId: ngo.keyId },
      correlationId: id,
    },
  });
  const riskAssessed = (id: string, level: string, deadlineClass: string) => ({
    type: 'RiskAssessed',
    schemaVersion: 1,
    data: {
      caseId: id,
      level,
      score: 4.5,
      factors: ['death threat by an armed or state actor'],
      methodologyVersion: 'aman-risk-v1',
      deadlineClass,
      assessedAt: new Date().toISOString(),
      trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
      organisationId: ngo.organisationId,
    },
    metadata: {
      actor: { organisationId: 'risk-assessment', principalId: 'risk-assessment' },
      correlationId: id,
    },
  });

  const referralIdOf = (id: string, provider: Principal) =>
    idFrom('referral', id, provider.organisationId);
  const referralStream = (id: string, provider: Principal) =>
    store.readStream<ReferralEvent>(`referral-${referralIdOf(id, provider)}`);
  const statusOf = async (id: string, provider: Principal) =>
    (await referralStream(id, provider)).map((event) =>
      event.type === 'ReferralRouted' ? 'ROUTED' : event.data.status,
    );

  it('registers providers for the admin CLI only, once each', async () => {
    const registered = await asAdmin.call(
      'registerProvider',
      registration(
        'org-embassy',
        'RECIPIENT_TYPE_EMBASSY',
        ['NEED_RELOCATION_ABROAD'],
        ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH'],
        '/embassy',
      ),
      { principal: admin },
    );
    expect(registered.providerId).toBe(idFrom('provider', 'org-embassy'));
    const again = await asAdmin.call(
      'registerProvider',
      registration(
        'org-embassy',
        'RECIPIENT_TYPE_EMBASSY',
        ['NEED_RELOCATION_ABROAD'],
        ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH'],
        '/embassy',
      ),
      { principal: admin },
    );
    expect(again.providerId).toBe(registered.providerId);
    expect((await store.readStream('provider-org-embassy')).map((event) => event.type)).toEqual([
      'ProviderRegistered',
      'WebhookEndpointSet',
    ]);

    await asAdmin.call(
      'registerProvider',
      registration(
        'org-legal',
        'RECIPIENT_TYPE_LEGAL_AID',
        ['NEED_LEGAL_AID'],
        ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
        '/legal',
      ),
      { principal: admin },
    );
    await asAdmin.call(
      'registerProvider',
      registration(
        'org-medical',
        'RECIPIENT_TYPE_MEDICAL',
        ['NEED_MEDICAL'],
        ['RISK_LEVEL_MEDIUM'],
        '/medical',
      ),
      { principal: admin },
    );
    // No consent ever covers shelters in these cases: never routed, whatever it serves.
    await asAdmin.call(
      'registerProvider',
      registration(
        'org-shelter',
        'RECIPIENT_TYPE_SHELTER_NETWORK',
        ['NEED_RELOCATION_ABROAD', 'NEED_LEGAL_AID'],
        ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH'],
        '/embassy',
      ),
      { principal: admin },
    );

    await expectAmanError(
      asGateway.call(
        'registerProvider',
        registration(
          'org-x',
          'RECIPIENT_TYPE_EMBASSY',
          ['NEED_LEGAL_AID'],
          ['RISK_LEVEL_HIGH'],
          '/embassy',
        ),
        { principal: admin },
      ),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      asAdmin.call(
        'registerProvider',
        registration(
          'org-x',
          'RECIPIENT_TYPE_EMBASSY',
          ['NEED_LEGAL_AID'],
          ['RISK_LEVEL_HIGH'],
          '/embassy',
        ),
        { principal: ngo },
      ),
      'AMAN_ERR_FORBIDDEN',
    );
    const invalid = await expectAmanError(
      asAdmin.call(
        'registerProvider',
        {
          ...registration(
            'org-x',
            'RECIPIENT_TYPE_EMBASSY',
            ['NEED_LEGAL_AID'],
            ['RISK_LEVEL_HIGH'],
            '/embassy',
          ),
          webhookSecret: 'whsec_!!not-a-secret!!',
        },
        { principal: admin },
      ),
      'AMAN_ERR_VALIDATION',
    );
    expect(invalid.message).not.toContain('not-a-secret');
    // The routing process learns the directory from the referral service's own events.
    await eventually('the directory in the routing read model', async () =>
      (await providersSeen.count()) === 4 ? true : undefined,
    );
  });

  it('routes a submitted, assessed case to the consented matching providers and tells them', async () => {
    const [submitted] = (
      await intakeStore.append(
        `case-${caseId}`,
        [
          caseSubmitted(
            caseId,
            ['NEED_RELOCATION_ABROAD', 'NEED_LEGAL_AID'],
            [
              {
                recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
                fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
              },
              {
                recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID'],
                fieldGroups: ['FIELD_GROUP_THREATS'],
              },
            ],
          ),
        ],
        { expectedVersion: 'no_stream' },
      )
    ).events;
    const [assessed] = (
      await riskStore.append(
        `assessment-${caseId}`,
        [riskAssessed(caseId, 'RISK_LEVEL_MEDIUM', 'DEADLINE_CLASS_URGENT')],
        {
          expectedVersion: 'no_stream',
        },
      )
    ).events;

    const delivery = await eventually('the embassy’s webhook', async () =>
      receiver.deliveries.find((d) => d.path === '/embassy'),
    );
    const referralId = referralIdOf(caseId, embassy);
    // Thin, signed (the receiver verified it), its id the ReferralRouted event's.
    expect(delivery.payload).toEqual({
      type: 'referral.routed',
      timestamp: expect.any(String),
      data: { referralId, deadlineClass: 'DEADLINE_CLASS_URGENT', respondBy: expect.any(String) },
    });
    expect(delivery.headers['content-type']).toBe('application/json');
    const [routed] = await referralStream(caseId, embassy);
    expect(delivery.headers['webhook-id']).toBe(routed?.id);
    expect(routed).toMatchObject({
      type: 'ReferralRouted',
      data: {
        referralId,
        caseId,
        providerOrganisationId: 'org-embassy',
        organisationId: ngo.organisationId,
        recipientType: 'RECIPIENT_TYPE_EMBASSY',
      },
      metadata: {
        actor: { organisationId: ngo.organisationId, principalId: 'referral' },
        correlationId: caseId,
      },
    });
    expect([submitted?.id, assessed?.id]).toContain(routed?.metadata.causationId);

    await eventually('the delivery recorded', async () =>
      (await statusOf(caseId, embassy)).includes('REFERRAL_STATUS_DELIVERED') ? true : undefined,
    );
    expect(await statusOf(caseId, embassy)).toEqual(['ROUTED', 'REFERRAL_STATUS_DELIVERED']);
    // Legal aid takes only high risk; the shelter has no consent.
    expect(await referralStream(caseId, legal)).toEqual([]);
    expect(await referralStream(caseId, providerPrincipal('org-shelter'))).toEqual([]);
  });

  it('routes a re-assessed case to the providers it newly matches, and only to them', async () => {
    await riskStore.append(
      `assessment-${caseId}`,
      [riskAssessed(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_EMERGENCY')],
      {
        expectedVersion: 1,
      },
    );
    // Legal aid answers 503 twice: the third attempt, with the same webhook id, gets through.
    await eventually('the legal aid delivery recorded', async () =>
      (await statusOf(caseId, legal)).includes('REFERRAL_STATUS_DELIVERED') ? true : undefined,
    );
    const attempts = receiver.deliveries.filter((d) => d.path === '/legal');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect((await referralStream(caseId, legal))[0]?.data).toMatchObject({
      deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
    });
    // The embassy is not routed again, nor notified again.
    expect(await statusOf(caseId, embassy)).toEqual(['ROUTED', 'REFERRAL_STATUS_DELIVERED']);
    expect(receiver.deliveries.filter((d) => d.path === '/embassy')).toHaveLength(1);
  });

  it('gives up on an endpoint that does not accept, without following redirects, and dead-letters', async () => {
    const otherCase = '0195a1c2-7f00-7000-8000-0000000ca5e2';
    await intakeStore.append(
      `case-${otherCase}`,
      [
        caseSubmitted(
          otherCase,
          ['NEED_MEDICAL'],
          [
            {
              recipientTypes: ['RECIPIENT_TYPE_MEDICAL'],
              fieldGroups: ['FIELD_GROUP_CIRCUMSTANCES'],
            },
          ],
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await riskStore.append(
      `assessment-${otherCase}`,
      [riskAssessed(otherCase, 'RISK_LEVEL_MEDIUM', 'DEADLINE_CLASS_NORMAL')],
      {
        expectedVersion: 'no_stream',
      },
    );
    const bus = openSqlite(join(dir, 'referral.bus.db'));
    try {
      const deadLetter = await eventually('the dead letter', async () =>
        bus
          .prepare<[], { event_id: string; error_code: string }>(
            "SELECT event_id, error_code FROM dead_letters WHERE consumer_group = 'referral.webhooks'",
          )
          .get(),
      );
      const [routed] = await referralStream(otherCase, medical);
      expect(deadLetter).toEqual({ event_id: routed?.id, error_code: 'AMAN_ERR_UNAVAILABLE' });
    } finally {
      bus.close();
    }
    // Three attempts in all, though the bus retried the handler too; the redirect went nowhere.
    expect(receiver.requests.filter((path) => path === '/medical')).toHaveLength(3);
    expect(receiver.requests).not.toContain('/trap');
    expect(await statusOf(otherCase, medical)).toEqual(['ROUTED']);
  });

  it('hands the packet only to the provider the referral is addressed to', async () => {
    const referralId = referralIdOf(caseId, embassy);
    const { packet } = await asGateway.call('getPacket', { referralId }, { principal: embassy });
    expect(packet).toMatchObject({ caseId, referralId, fullName: 'Canary Person' });
    expect(packetsAsked.at(-1)).toEqual({
      request: { caseId, referralId, recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
      principal: embassy,
    });

    const asked = packetsAsked.length;
    await expectAmanError(
      asGateway.call('getPacket', { referralId }, { principal: legal }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call('getPacket', { referralId: 'no-such-referral' }, { principal: embassy }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call('getPacket', { referralId }, { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      asAdmin.call('getPacket', { referralId }, { principal: embassy }),
      'AMAN_ERR_FORBIDDEN',
    );
    expect(packetsAsked).toHaveLength(asked);
  });

  it('takes a provider’s answers to its own referrals only', async () => {
    const referralId = referralIdOf(caseId, embassy);
    const acknowledge = {
      referralId,
      action: referral.ReferralAction.REFERRAL_ACTION_ACKNOWLEDGE,
      reason: '',
    };
    expect(
      (await asGateway.call('respondToReferral', acknowledge, { principal: embassy })).status,
    ).toBe(referral.ReferralStatus.REFERRAL_STATUS_ACKNOWLEDGED);
    // A retried answer changes nothing.
    expect(
      (await asGateway.call('respondToReferral', acknowledge, { principal: embassy })).status,
    ).toBe(referral.ReferralStatus.REFERRAL_STATUS_ACKNOWLEDGED);
    await expectAmanError(
      asGateway.call('respondToReferral', acknowledge, { principal: legal }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call(
        'respondToReferral',
        { ...acknowledge, action: referral.ReferralAction.REFERRAL_ACTION_COMPLETE },
        { principal: embassy },
      ),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    expect(
      (
        await asGateway.call(
          'respondToReferral',
          { ...acknowledge, action: referral.ReferralAction.REFERRAL_ACTION_ACCEPT },
          { principal: embassy },
        )
      ).status,
    ).toBe(referral.ReferralStatus.REFERRAL_STATUS_ACCEPTED);
    expect(await statusOf(caseId, embassy)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_ACCEPTED',
    ]);
    const [, , acknowledged] = await referralStream(caseId, embassy);
    expect(acknowledged?.metadata).toMatchObject({
      actor: { organisationId: 'org-embassy', principalId: 'key_org-embassy' },
      correlationId: caseId,
    });
  });

  it('never logs a webhook URL’s query or secret', () => {
    const logged = logLines.join('\n');
    expect(logged).toContain('webhook not accepted');
    expect(logged).not.toContain(TOKEN);
    for (const secret of secrets.values())
      expect(logged).not.toContain(secret.slice('whsec_'.length));
  });
});

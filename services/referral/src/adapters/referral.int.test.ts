import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';

import { common, intake, referral } from '@aman/contracts';
import {
  type EventStore,
  type JsonObject,
  type NewEvent,
  type StoredEvent,
} from '@aman/eventstore';
import type { ReadModelCollection } from '@aman/projections';
import {
  CONTEXTS,
  Platform,
  ServiceClient,
  ServiceIdentity,
  idFrom,
  implement,
  startGrpcServer,
  type ConsumedEvent,
  type GrpcServer,
  type Logger,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import type { Subscription } from '@aman/messaging';
import { describeWithKafka, describeWithMongo, eventually, expectAmanError } from '@aman/testing';

import { ProviderDirectory } from '../application/providerDirectory.ts';
import { Referrals } from '../application/referrals.ts';
import { RoutingProcess } from '../application/routingProcess.ts';
import { WebhookDelivery } from '../application/webhookDelivery.ts';
import type { ReferralEvent } from '../domain/index.ts';
import { REFERRAL_SERVICE_NAME, referralServer } from './grpcServer.ts';
import { intakePackets } from './intakePackets.ts';
import { httpWebhookSender } from './webhookSender.ts';
import { OutboundClient } from '@aman/outbound';

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
const shelter = providerPrincipal('org-shelter');
/** Registered late: what routing would still send a case to, were it open. */
const lateEmbassy = providerPrincipal('org-embassy-late');

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

/** An event of another context as the bus hands it to a consumer: to deliver it once more. */
function consumed(source: string, event: StoredEvent | undefined): ConsumedEvent {
  if (event === undefined) throw new Error('no such event');
  return {
    id: event.id,
    source,
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
    occurredAt: event.occurredAt,
    traceparent: undefined,
  };
}

describe('referral over gRPC with the embedded platform', () => {
  referralSuite((dir) => ({ mode: 'embedded', dataDir: dir }));
});

describeWithMongo('referral over gRPC with the distributed platform', ({ uri, database }) => {
  describeWithKafka('FerretDB and Kafka', ({ brokers, namespace }) => {
    referralSuite(() => ({
      mode: 'distributed',
      mongoUri: uri,
      kafkaBrokers: brokers,
      databasePrefix: database,
      topicPrefix: `${namespace}.`,
    }));
  });
});

/**
 * Referral as main.ts wires it, with intake and risk assessment producing through the platform
 * of the mode (their own stores, and the outbox relay when distributed), real gRPC and a local
 * webhook receiver. The tests build on each other, in order.
 */
function referralSuite(platformConfig: (dir: string) => PlatformConfig): void {
  const dir = mkdtempSync(join(tmpdir(), 'aman-referral-'));
  const logLines: string[] = [];
  const secrets = new Map([
    ['/embassy', secretFor()],
    ['/legal', secretFor()],
    ['/medical', secretFor()],
    ['/shelter', secretFor()],
    ['/late', secretFor()],
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
  let platforms: Platform[];
  let store: EventStore;
  let intakeStore: EventStore;
  let riskStore: EventStore;
  let providersSeen: ReadModelCollection;
  let caseReferrals: ReadModelCollection;
  let routing: RoutingProcess;
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
              reportAccess: notHere,
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

    // Intake and risk assessment produce as they do in their own services.
    const config = platformConfig(dir);
    const producer = async (service: string, context: 'intake' | 'risk') => {
      const producing = new Platform(config, service, logger);
      const produced = await producing.eventStore();
      await producing.publish(context, produced);
      return { producing, produced };
    };
    const intakeSide = await producer('intake', 'intake');
    const riskSide = await producer('risk-assessment', 'risk');
    intakeStore = intakeSide.produced;
    riskStore = riskSide.produced;

    const platform = new Platform(config, 'referral', logger);
    platforms = [platform, intakeSide.producing, riskSide.producing];
    store = await platform.eventStore();
    await platform.publish('referral', store);
    const identity = await ServiceIdentity.load('referral', keys);
    intakeClient = new ServiceClient({
      audience: 'intake',
      address: `127.0.0.1:${intakeServer.port}`,
      client: intake.IntakeServiceClient,
      identity,
    });
    const providers = new ProviderDirectory(store);
    const readModels = await platform.readModels();
    const referrals = await Referrals.open({
      store,
      readModels,
      packets: intakePackets(intakeClient),
    });
    routing = await RoutingProcess.open(readModels, referrals, logger);
    providersSeen = await readModels.collection('providers', { indexes: [] });
    caseReferrals = await readModels.collection('case_referrals', {
      indexes: ['caseId', 'providerOrganisationId', 'programmeId', 'open', 'status'],
    });
    deliveries = new WebhookDelivery({
      store,
      timers: await platform.timers(),
      readModels,
      referrals,
      providers,
      sender: httpWebhookSender(
        new OutboundClient({ allowInsecureLoopback: true, timeoutMs: 2_000 }),
      ),
      logger,
      retry: { attempts: 3, firstDelayMs: 100, maxDelayMs: 400 },
      pollMs: 50,
    });
    subscriptions = [
      await platform.subscribe('routing', ['intake', 'risk', 'referral'], (event) =>
        routing.onEvent(event),
      ),
      await platform.subscribe('webhooks', ['referral', 'intake'], (event) =>
        deliveries.onEvent(event),
      ),
    ];
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: REFERRAL_SERVICE_NAME,
          definition: referral.ReferralServiceService,
          implementation: referralServer({ providers, referrals, deliveries, identity, logger }),
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
  });

  afterAll(async () => {
    // As main.ts stops: subscriptions first, then delivery, so nothing in flight is dead-lettered.
    const stopped = Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await deliveries.stop();
    await stopped;
    asAdmin.close();
    asGateway.close();
    intakeClient.close();
    await server.stop();
    await intakeServer.stop();
    for (const platform of platforms) await platform.close();
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
    (await referralStream(id, provider)).map((event) => {
      switch (event.type) {
        case 'ReferralRouted':
          return 'ROUTED';
        case 'ReferralStatusChanged':
          return event.data.reason === ''
            ? event.data.status
            : `${event.data.status} ${event.data.reason}`;
        case 'ErasureRequested':
          return 'ERASURE_REQUESTED';
        case 'ProviderNotified':
          return `NOTIFIED ${event.data.notice}`;
        case 'ReferralDeadlinesChanged':
          return `DEADLINES ${event.data.deadlineClass}`;
        case 'ReferralSeen':
          return 'SEEN';
        default:
          return event.type;
      }
    });
  /** The verified webhooks a path received of one notice type. */
  const noticesAt = (path: string, type: string) =>
    receiver.deliveries.filter(
      (delivery) =>
        delivery.path === path && (delivery.payload as { type?: unknown }).type === type,
    );
  const appendTo = async (
    events: EventStore,
    stream: string,
    event: NewEvent,
  ): Promise<StoredEvent> => {
    const { events: appended } = await events.append(stream, [event], {
      expectedVersion: (await events.streamVersion(stream)) ?? 'no_stream',
    });
    const [stored] = appended;
    if (stored === undefined) throw new Error('nothing appended');
    return stored;
  };
  /** A new case that needs relocation abroad, consented for embassies, assessed medium. */
  const submitForEmbassy = async (id: string): Promise<void> => {
    await intakeStore.append(
      `case-${id}`,
      [
        caseSubmitted(
          id,
          ['NEED_RELOCATION_ABROAD'],
          [{ recipientTypes: ['RECIPIENT_TYPE_EMBASSY'], fieldGroups: ['FIELD_GROUP_IDENTITY'] }],
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await riskStore.append(
      `assessment-${id}`,
      [riskAssessed(id, 'RISK_LEVEL_MEDIUM', 'DEADLINE_CLASS_URGENT')],
      { expectedVersion: 'no_stream' },
    );
  };
  const intakeEvent = (type: string, id: string, data: JsonObject): NewEvent => ({
    type,
    schemaVersion: 1,
    data: { caseId: id, organisationId: ngo.organisationId, ...data },
    metadata: {
      actor: { organisationId: ngo.organisationId, principalId: ngo.keyId },
      correlationId: id,
    },
  });

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
    // No consent covers shelters by type in these cases: routed only once consent names it.
    await asAdmin.call(
      'registerProvider',
      registration(
        'org-shelter',
        'RECIPIENT_TYPE_SHELTER_NETWORK',
        ['NEED_RELOCATION_ABROAD', 'NEED_LEGAL_AID'],
        ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH'],
        '/shelter',
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
    // The embassy is not routed again, nor notified again; its deadlines come forward.
    expect(await statusOf(caseId, embassy)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'DEADLINES DEADLINE_CLASS_EMERGENCY',
    ]);
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
    const [deadLetter] = await eventually('the dead letter', async () => {
      const letters = await deliveries.deadLetters(admin);
      return letters.length > 0 ? letters : undefined;
    });
    expect(deadLetter).toMatchObject({
      providerOrganisationId: 'org-medical',
      caseId: otherCase,
      referralId: referralIdOf(otherCase, medical),
      attempts: 3,
    });
    // Three attempts in all; the redirect went nowhere.
    expect(receiver.requests.filter((path) => path === '/medical')).toHaveLength(3);
    expect(receiver.requests).not.toContain('/trap');
    expect(await statusOf(otherCase, medical)).toEqual(['ROUTED']);
    // The operator sees it over gRPC, as the admin CLI does; nobody else may.
    const listed = await asAdmin.call('listWebhookDeadLetters', {}, { principal: admin });
    expect(listed.deadLetters.map((letter) => letter.notificationId)).toContain(
      deadLetter?.notificationId,
    );
    // A provider, through the gateway, sees its own and no other's; an NGO none.
    const ownLetters = async (principal: Principal) =>
      (await asGateway.call('listWebhookDeadLetters', {}, { principal })).deadLetters.map(
        (letter) => letter.notificationId,
      );
    expect(await ownLetters(medical)).toEqual([deadLetter?.notificationId]);
    expect(await ownLetters(embassy)).toEqual([]);
    await expectAmanError(ownLetters(ngo), 'AMAN_ERR_FORBIDDEN');
    const notification = {
      providerOrganisationId: 'org-medical',
      caseId: otherCase,
      notificationId: deadLetter?.notificationId ?? '',
    };
    await expectAmanError(
      asGateway.call('redeliverWebhook', { notification }, { principal: embassy }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call('discardWebhook', { notification }, { principal: medical }),
      'AMAN_ERR_FORBIDDEN',
    );
    // Redelivery on request, the operator's: a new round of attempts (the endpoint still
    // refuses, so it ends dead again, after three more); then the provider's own.
    await asAdmin.call('redeliverWebhook', { notification }, { principal: admin });
    await eventually('the second round', () =>
      receiver.requests.filter((path) => path === '/medical').length >= 6 ? true : undefined,
    );
    await eventually('dead again', async () =>
      (await ownLetters(medical)).length === 1 ? true : undefined,
    );
    await asGateway.call('redeliverWebhook', { notification }, { principal: medical });
    await eventually('the third round', () =>
      receiver.requests.filter((path) => path === '/medical').length >= 9 ? true : undefined,
    );
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
      'DEADLINES DEADLINE_CLASS_EMERGENCY',
      'SEEN',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_ACCEPTED',
    ]);
    const acknowledged = (await referralStream(caseId, embassy)).find(
      (event) =>
        event.type === 'ReferralStatusChanged' &&
        event.data.status === 'REFERRAL_STATUS_ACKNOWLEDGED',
    );
    expect(acknowledged?.metadata).toMatchObject({
      actor: { organisationId: 'org-embassy', principalId: 'key_org-embassy' },
      correlationId: caseId,
    });
  });

  it('routes to a provider the new consent names, and revokes, tells and refuses one that lost all consent', async () => {
    const legalReferral = referralIdOf(caseId, legal);
    const updated = await appendTo(
      intakeStore,
      `case-${caseId}`,
      intakeEvent('ConsentUpdated', caseId, {
        consent: [
          {
            recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
            fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
          },
          {
            fieldGroups: ['FIELD_GROUP_CIRCUMSTANCES'],
            providerIds: ['org-shelter'],
          },
        ],
        narrowed: true,
        updatedAt: new Date().toISOString(),
      }),
    );

    const [revocation] = await eventually('legal aid’s revocation notice', async () => {
      const notices = noticesAt('/legal', 'referral.revoked');
      return notices.length > 0 ? notices : undefined;
    });
    // Thin and signed (the receiver verified it): no personal data, nothing of the case but its id.
    expect(revocation?.payload).toEqual({
      type: 'referral.revoked',
      timestamp: expect.any(String),
      data: { referralId: legalReferral, caseId, reason: 'consent_withdrawn' },
    });
    expect(revocation?.headers['webhook-id']).toBe(idFrom('referral.revoked', legalReferral));
    await eventually('the notice recorded', async () =>
      (await statusOf(caseId, legal)).includes('NOTIFIED referral.revoked') ? true : undefined,
    );
    expect(await statusOf(caseId, legal)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_REVOKED consent_withdrawn',
      'NOTIFIED referral.revoked',
    ]);
    const [, , revoked] = await referralStream(caseId, legal);
    expect(revoked?.metadata).toMatchObject({
      actor: { organisationId: ngo.organisationId, principalId: 'referral' },
      correlationId: caseId,
      causationId: updated.id,
    });

    // Refused by referral itself: intake is not even asked.
    const asked = packetsAsked.length;
    await expectAmanError(
      asGateway.call('getPacket', { referralId: legalReferral }, { principal: legal }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call(
        'respondToReferral',
        {
          referralId: legalReferral,
          action: referral.ReferralAction.REFERRAL_ACTION_ACKNOWLEDGE,
          reason: '',
        },
        { principal: legal },
      ),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    expect(packetsAsked).toHaveLength(asked);

    // The shelter, named by the new consent, is routed whatever its type.
    await eventually('the shelter’s routing notice', async () =>
      noticesAt('/shelter', 'referral.routed').length > 0 ? true : undefined,
    );
    const [routedToShelter] = await referralStream(caseId, shelter);
    expect(routedToShelter).toMatchObject({
      type: 'ReferralRouted',
      data: {
        recipientType: 'RECIPIENT_TYPE_SHELTER_NETWORK',
        reasons: expect.arrayContaining([
          'consent covers this provider by name: FIELD_GROUP_CIRCUMSTANCES',
        ]) as unknown,
      },
    });
    // The embassy keeps its consent, its referral and its one notice.
    expect(await statusOf(caseId, embassy)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'DEADLINES DEADLINE_CLASS_EMERGENCY',
      'SEEN',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_ACCEPTED',
    ]);
    expect(receiver.deliveries.filter((d) => d.path === '/embassy')).toHaveLength(1);
  });

  it('decides and tells nothing again when the bus delivers the same events once more', async () => {
    await eventually('the shelter’s delivery recorded', async () =>
      (await statusOf(caseId, shelter)).includes('REFERRAL_STATUS_DELIVERED') ? true : undefined,
    );
    const histories = async () =>
      Promise.all([embassy, legal, shelter].map((provider) => statusOf(caseId, provider)));
    const before = await histories();
    const requests = receiver.requests.length;

    // The submission comes again after the consent update: its older consent must not return.
    const again = [
      ...(await intakeStore.readStream(`case-${caseId}`)).map((event) =>
        consumed(CONTEXTS.intake.source, event),
      ),
      ...(
        await Promise.all(
          [embassy, legal, shelter].map((provider) => referralStream(caseId, provider)),
        )
      ).flatMap((events) => events.map((event) => consumed(CONTEXTS.referral.source, event))),
    ];
    for (const event of again) {
      await routing.onEvent(event);
      await deliveries.onEvent(event);
    }

    expect(await histories()).toEqual(before);
    expect(receiver.requests).toHaveLength(requests);
  });

  it('revokes every referral of a withdrawn case, tells their providers, and never routes it again', async () => {
    await asAdmin.call(
      'registerProvider',
      registration(
        'org-embassy-late',
        'RECIPIENT_TYPE_EMBASSY',
        ['NEED_RELOCATION_ABROAD'],
        ['RISK_LEVEL_HIGH'],
        '/late',
      ),
      { principal: admin },
    );
    await eventually('the late embassy in the routing read model', async () =>
      (await providersSeen.count()) === 5 ? true : undefined,
    );
    const withdrawnCase = '0195a1c2-7f00-7000-8000-0000000ca5e3';
    await appendTo(
      intakeStore,
      `case-${withdrawnCase}`,
      caseSubmitted(
        withdrawnCase,
        ['NEED_RELOCATION_ABROAD'],
        [{ recipientTypes: ['RECIPIENT_TYPE_EMBASSY'], fieldGroups: ['FIELD_GROUP_IDENTITY'] }],
      ),
    );
    await appendTo(
      riskStore,
      `assessment-${withdrawnCase}`,
      riskAssessed(withdrawnCase, 'RISK_LEVEL_MEDIUM', 'DEADLINE_CLASS_NORMAL'),
    );
    await eventually('the embassy’s delivery recorded', async () =>
      (await statusOf(withdrawnCase, embassy)).includes('REFERRAL_STATUS_DELIVERED')
        ? true
        : undefined,
    );

    await appendTo(
      intakeStore,
      `case-${withdrawnCase}`,
      intakeEvent('CaseWithdrawn', withdrawnCase, {
        reason: 'WITHDRAWAL_REASON_SAFE',
        withdrawnAt: new Date().toISOString(),
      }),
    );
    const referralId = referralIdOf(withdrawnCase, embassy);
    const notice = await eventually('the embassy’s revocation notice', async () =>
      noticesAt('/embassy', 'referral.revoked').find(
        (delivery) =>
          (delivery.payload as { data: { referralId: string } }).data.referralId === referralId,
      ),
    );
    expect(notice.payload).toEqual({
      type: 'referral.revoked',
      timestamp: expect.any(String),
      data: { referralId, caseId: withdrawnCase, reason: 'case_withdrawn' },
    });
    await eventually('the notice recorded', async () =>
      (await statusOf(withdrawnCase, embassy)).includes('NOTIFIED referral.revoked')
        ? true
        : undefined,
    );
    expect(await statusOf(withdrawnCase, embassy)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_REVOKED case_withdrawn',
      'NOTIFIED referral.revoked',
    ]);

    // Re-assessed higher, an open case would now go to the late embassy as well.
    const reassessed = await appendTo(
      riskStore,
      `assessment-${withdrawnCase}`,
      riskAssessed(withdrawnCase, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_EMERGENCY'),
    );
    await routing.onEvent(consumed(CONTEXTS.risk.source, reassessed));
    expect(await referralStream(withdrawnCase, lateEmbassy)).toEqual([]);
  });

  it('tells every provider that had an erased case to delete it, once, and never routes it again', async () => {
    // The embassy ends its referral first: the provider of an ended referral is told too.
    await asGateway.call(
      'respondToReferral',
      {
        referralId: referralIdOf(caseId, embassy),
        action: referral.ReferralAction.REFERRAL_ACTION_COMPLETE,
        reason: '',
      },
      { principal: embassy },
    );
    const erased = await appendTo(
      intakeStore,
      `case-${caseId}`,
      intakeEvent('CaseErased', caseId, { erasedAt: new Date().toISOString() }),
    );

    const told = [
      { provider: embassy, path: '/embassy' },
      { provider: legal, path: '/legal' },
      { provider: shelter, path: '/shelter' },
    ];
    for (const { provider, path } of told) {
      const referralId = referralIdOf(caseId, provider);
      const [notice] = await eventually(`the erasure notice at ${path}`, async () => {
        const notices = noticesAt(path, 'case.erased');
        return notices.length > 0 ? notices : undefined;
      });
      expect(notice?.payload).toEqual({
        type: 'case.erased',
        timestamp: expect.any(String),
        data: { referralId, caseId, reason: 'case_erased' },
      });
      expect(notice?.headers['webhook-id']).toBe(idFrom('case.erased', referralId));
      await eventually(`the erasure notice recorded for ${path}`, async () =>
        (await statusOf(caseId, provider)).includes('NOTIFIED case.erased') ? true : undefined,
      );
    }
    // Ended referrals keep their outcome; the open one is revoked by the erasure itself.
    expect(await statusOf(caseId, embassy)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'DEADLINES DEADLINE_CLASS_EMERGENCY',
      'SEEN',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_ACCEPTED',
      'REFERRAL_STATUS_COMPLETED',
      'ERASURE_REQUESTED',
      'NOTIFIED case.erased',
    ]);
    expect(await statusOf(caseId, legal)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_REVOKED consent_withdrawn',
      'NOTIFIED referral.revoked',
      'ERASURE_REQUESTED',
      'NOTIFIED case.erased',
    ]);
    expect(await statusOf(caseId, shelter)).toEqual([
      'ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_REVOKED case_erased',
      'NOTIFIED case.erased',
    ]);
    const asked = packetsAsked.length;
    // The provider it was addressed to learns the case was erased; anyone else, nothing.
    await expectAmanError(
      asGateway.call(
        'getPacket',
        { referralId: referralIdOf(caseId, shelter) },
        { principal: shelter },
      ),
      'AMAN_ERR_ERASED',
    );
    await expectAmanError(
      asGateway.call(
        'getPacket',
        { referralId: referralIdOf(caseId, shelter) },
        { principal: embassy },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
    expect(packetsAsked).toHaveLength(asked);

    // The erasure and the revocation it caused, delivered once more, tell no one again.
    const requests = receiver.requests.length;
    const [, , shelterRevoked] = await referralStream(caseId, shelter);
    for (const event of [
      consumed(CONTEXTS.intake.source, erased),
      consumed(CONTEXTS.referral.source, shelterRevoked),
    ]) {
      await routing.onEvent(event);
      await deliveries.onEvent(event);
    }
    // Re-assessed, an open case would now go to the late embassy as well.
    const reassessed = await appendTo(
      riskStore,
      `assessment-${caseId}`,
      riskAssessed(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_EMERGENCY'),
    );
    await routing.onEvent(consumed(CONTEXTS.risk.source, reassessed));
    expect(await referralStream(caseId, lateEmbassy)).toEqual([]);
    expect(receiver.requests).toHaveLength(requests);
    for (const { path } of told) expect(noticesAt(path, 'case.erased')).toHaveLength(1);
    // Nor anyone who never had the case.
    expect(noticesAt('/medical', 'case.erased')).toEqual([]);
    expect(noticesAt('/late', 'case.erased')).toEqual([]);
  });

  it('signs with the old and the new secret while a rotation overlaps, and not with one whose overlap ended, at the URL the provider set', async () => {
    const rotated = secretFor();
    const signaturesOf = (delivery: Delivery) =>
      String(delivery.headers['webhook-signature'] ?? '').split(' ');
    const routeToEmbassy = async (id: string) => {
      await submitForEmbassy(id);
      const referralId = referralIdOf(id, embassy);
      return eventually('the routing webhook', () =>
        receiver.deliveries.find(
          (delivery) =>
            (delivery.payload as { data?: { referralId?: unknown } }).data?.referralId ===
            referralId,
        ),
      );
    };

    // Only the provider itself (or an administrator) rotates its secret.
    for (const principal of [legal, ngo]) {
      await expectAmanError(
        asGateway.call(
          'rotateWebhookSecret',
          { organisationId: 'org-embassy', secret: secretFor(), overlapSeconds: 60 },
          { principal },
        ),
        'AMAN_ERR_FORBIDDEN',
      );
    }
    const before = Date.now();
    const { previousValidUntil } = await asGateway.call(
      'rotateWebhookSecret',
      { organisationId: 'org-embassy', secret: rotated, overlapSeconds: 3600 },
      { principal: embassy },
    );
    expect(previousValidUntil?.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    // The receiver still knows only the old secret, and verifies; the new one verifies too.
    const during = await routeToEmbassy('0195a1c2-7f00-7000-8000-0000000ca5f1');
    expect(signaturesOf(during)).toHaveLength(2);
    const body = JSON.stringify(during.payload);
    const headersOf = (delivery: Delivery) => ({
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    });
    expect(new Webhook(rotated).verify(body, headersOf(during))).toEqual(during.payload);

    // Rotated again with no overlap, and moved to a new URL: the secret it replaced signs no
    // more; the first one's overlap still runs.
    const newest = secretFor();
    secrets.set('/embassy-v2', newest);
    await asGateway.call(
      'rotateWebhookSecret',
      { organisationId: 'org-embassy', secret: newest, overlapSeconds: 0 },
      { principal: embassy },
    );
    await expectAmanError(
      asGateway.call(
        'setWebhookUrl',
        { organisationId: 'org-embassy', url: 'https://user:pw@provider.example/' },
        { principal: embassy },
      ),
      'AMAN_ERR_VALIDATION',
    );
    await asGateway.call(
      'setWebhookUrl',
      { organisationId: 'org-embassy', url: `${hooks}/embassy-v2?token=${TOKEN}` },
      { principal: embassy },
    );
    const after = await routeToEmbassy('0195a1c2-7f00-7000-8000-0000000ca5f2');
    expect(after.path).toBe('/embassy-v2');
    expect(signaturesOf(after)).toHaveLength(2);
    expect(() =>
      new Webhook(rotated).verify(JSON.stringify(after.payload), headersOf(after)),
    ).toThrow();
    secrets.set('/embassy-rotated', rotated);
  });

  it('routes a case whose routing was cut short between its index entry and its decision', async () => {
    // What a crash or a database outage right after route()'s first write leaves: the case's
    // index holds the referral, its stream nothing. The infra fault suite met it after a
    // FerretDB restart, and the case stayed unrouted: the entry counted as the need covered.
    const cutShort = '0195a1c2-7f00-7000-8000-0000000ca5f3';
    const referralId = referralIdOf(cutShort, embassy);
    const routedBefore = await caseReferrals.get(
      referralIdOf('0195a1c2-7f00-7000-8000-0000000ca5f2', embassy),
    );
    expect(routedBefore?.data).toBeDefined();
    // And one whose provider the plan no longer chooses: it would hold a place of that
    // provider's capacity for good, open and never routed.
    const gone = referralIdOf(cutShort, providerPrincipal('org-gone'));
    const unfinished = (id: string, providerOrganisationId: string) => ({
      id,
      data: {
        ...routedBefore?.data,
        referralId: id,
        caseId: cutShort,
        providerOrganisationId,
        status: 'UNKNOWN',
        open: true,
      },
      versions: {},
    });
    await caseReferrals.write([
      unfinished(referralId, 'org-embassy'),
      unfinished(gone, 'org-gone'),
    ]);
    await submitForEmbassy(cutShort);
    await eventually('the cut-short referral delivered', async () =>
      (await statusOf(cutShort, embassy)).includes('REFERRAL_STATUS_DELIVERED') ? true : undefined,
    );
    expect(await statusOf(cutShort, embassy)).toEqual(['ROUTED', 'REFERRAL_STATUS_DELIVERED']);
    // Under the same id as the entry: one referral, not a second beside it; the other is gone.
    expect(
      (await caseReferrals.query({ where: { caseId: cutShort } })).items.map((item) => item.id),
    ).toEqual([referralId]);
  });

  it('never logs a webhook URL’s query or secret', () => {
    const logged = logLines.join('\n');
    expect(logged).toContain('webhook not accepted');
    expect(logged).not.toContain(TOKEN);
    for (const secret of secrets.values())
      expect(logged).not.toContain(secret.slice('whsec_'.length));
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { common, intake, referral } from '@aman/contracts';
import {
  handleCommand,
  type EventStore,
  type JsonObject,
  type NewEvent,
  type StoredEvent,
} from '@aman/eventstore';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  idFrom,
  implement,
  startGrpcServer,
  type GrpcServer,
  type Logger,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import type { Subscription } from '@aman/messaging';
import type { ReadModelCollection } from '@aman/projections';
import { describeWithKafka, describeWithMongo, eventually, expectAmanError } from '@aman/testing';
import type { TimerRunner, TimerStore } from '@aman/timers';

import { runDeadlines } from '../application/deadlineTimers.ts';
import { ProviderDirectory } from '../application/providerDirectory.ts';
import { ProviderFeed } from '../application/providerFeed.ts';
import { Referrals } from '../application/referrals.ts';
import { RoutingProcess } from '../application/routingProcess.ts';
import { referralDecider, type ReferralEvent } from '../domain/index.ts';
import { REFERRAL_SERVICE_NAME, referralServer } from './grpcServer.ts';
import { intakePackets } from './intakePackets.ts';

const admin: Principal = { organisationId: 'operator', organisationType: 'admin', keyId: 'cli' };
const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const otherNgo: Principal = { organisationId: 'org-ngo-2', organisationType: 'ngo', keyId: 'k2' };
const providerPrincipal = (organisationId: string): Principal => ({
  organisationId,
  organisationType: 'provider',
  keyId: `key_${organisationId}`,
});
const embassy = providerPrincipal('org-embassy-p');
const fundA = providerPrincipal('org-fund-a');
const fundB = providerPrincipal('org-fund-b');
const suspendedFund = providerPrincipal('org-fund-suspended');
const PROGRAMME = 'bap-test';
/** The defender's name in every packet: it must reach the provider and be kept nowhere here. */
const CANARY = 'Canary Defender Zarghuna';

const quiet = (): Logger => {
  const nothing = () => undefined;
  return {
    info: nothing,
    warn: nothing,
    error: nothing,
    debug: nothing,
    trace: nothing,
    fatal: nothing,
  } as unknown as Logger;
};

describe('referral lifecycle, programmes, deadlines and feed over gRPC, embedded', () => {
  lifecycleSuite((dir) => ({ mode: 'embedded', dataDir: dir }));
});

describeWithMongo('referral lifecycle over gRPC, distributed', ({ uri, database }) => {
  describeWithKafka('FerretDB and Kafka', ({ brokers, namespace }) => {
    lifecycleSuite(() => ({
      mode: 'distributed',
      mongoUri: uri,
      kafkaBrokers: brokers,
      databasePrefix: database,
      topicPrefix: `${namespace}.`,
    }));
  });
});

/**
 * Referral as main.ts wires it, with pull-feed providers only (webhooks have their own tests):
 * intake and risk assessment produce through the platform of the mode, the routing process and
 * the deadline runner consume, and every call is real gRPC. The tests build on each other.
 */
function lifecycleSuite(platformConfig: (dir: string) => PlatformConfig): void {
  const dir = mkdtempSync(join(tmpdir(), 'aman-referral-lifecycle-'));
  let platforms: Platform[];
  let store: EventStore;
  let intakeStore: EventStore;
  let riskStore: EventStore;
  let referrals: Referrals;
  let timers: TimerStore;
  let runner: TimerRunner | undefined;
  let subscription: Subscription;
  let intakeServer: GrpcServer;
  let server: GrpcServer;
  let intakeClient: ServiceClient<intake.IntakeServiceClient>;
  let asAdmin: ServiceClient<referral.ReferralServiceClient>;
  let asGateway: ServiceClient<referral.ReferralServiceClient>;
  let config: PlatformConfig;
  let providersSeen: ReadModelCollection;
  let programmesSeen: ReadModelCollection;

  beforeAll(async () => {
    const keys = join(dir, 'keys');
    const logger = quiet();
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
                handle: async (request) => ({
                  packet: intake.ReferralPacket.fromJSON({
                    caseId: request.caseId,
                    referralId: request.referralId,
                    fieldGroups: ['FIELD_GROUP_IDENTITY'],
                    fullName: CANARY,
                  }),
                }),
              },
            },
            { identity: await ServiceIdentity.load('intake', keys), logger },
          ),
        },
      ],
    });
    config = platformConfig(dir);
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
    timers = await platform.timers('deadline_timers');
    referrals = await Referrals.open({
      store,
      readModels,
      packets: intakePackets(intakeClient),
      timers,
    });
    const routing = await RoutingProcess.open(readModels, referrals, logger, providers);
    providersSeen = await readModels.collection('providers', { indexes: [] });
    programmesSeen = await readModels.collection('programmes', { indexes: [] });
    subscription = await platform.subscribe('routing', ['intake', 'risk', 'referral'], (event) =>
      routing.onEvent(event),
    );
    runner = runDeadlines({ timers, referrals, logger, pollMs: 100 });
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: REFERRAL_SERVICE_NAME,
          definition: referral.ReferralServiceService,
          implementation: referralServer({
            providers,
            referrals,
            feed: new ProviderFeed({ store, referrals, directory: providers }),
            routing,
            identity,
            logger,
          }),
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
    await subscription.stop();
    await runner?.stop();
    asAdmin.close();
    asGateway.close();
    intakeClient.close();
    await server.stop();
    await intakeServer.stop();
    for (const platform of platforms) await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pullProvider = (
    organisationId: string,
    type: string,
    services: string[],
    more: JsonObject = {},
  ) =>
    referral.RegisterProviderRequest.fromJSON({
      organisationId,
      type,
      services,
      riskLevels: ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
      deliveryChannel: 'DELIVERY_CHANNEL_PULL_FEED',
      ...more,
    });

  const caseNumber = (n: number) =>
    `0195a1c2-7f00-7000-8000-00000000c0${String(n).padStart(2, '0')}`;
  const append = async (events: EventStore, stream: string, event: NewEvent) => {
    const { events: appended } = await events.append(stream, [event], {
      expectedVersion: (await events.streamVersion(stream)) ?? 'no_stream',
    });
    return appended[0] as StoredEvent;
  };
  const submit = (caseId: string, needs: string[], organisation: Principal = ngo) =>
    append(intakeStore, `case-${caseId}`, {
      type: 'CaseSubmitted',
      schemaVersion: 1,
      data: {
        caseId,
        organisationId: organisation.organisationId,
        profile: 'PROFILE_JOURNALIST',
        gender: 'GENDER_WOMAN',
        province: 'AF-HER',
        needs,
        consent: [
          {
            recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
            fieldGroups: ['FIELD_GROUP_IDENTITY'],
          },
        ],
        submittedAt: new Date().toISOString(),
      },
      metadata: {
        actor: { organisationId: organisation.organisationId, principalId: 'key' },
        correlationId: caseId,
      },
    });
  const assess = (
    caseId: string,
    level: string,
    deadlineClass: string,
    acknowledgeWithinSeconds: number,
    decideWithinSeconds: number,
    organisation: Principal = ngo,
  ) =>
    append(riskStore, `assessment-${caseId}`, {
      type: 'RiskAssessed',
      schemaVersion: 1,
      data: {
        caseId,
        level,
        score: 50,
        factors: ['death threat by an armed or state actor'],
        methodologyVersion: 'aman-risk-v2',
        deadlineClass,
        assessedAt: new Date().toISOString(),
        trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
        organisationId: organisation.organisationId,
        acknowledgeWithinSeconds,
        decideWithinSeconds,
      },
      metadata: {
        actor: { organisationId: 'risk-assessment', principalId: 'risk-assessment' },
        correlationId: caseId,
      },
    });

  const programmeReferral = (caseId: string) =>
    idFrom('referral', caseId, embassy.organisationId, PROGRAMME);
  const referralOf = (caseId: string, provider: Principal) =>
    idFrom('referral', caseId, provider.organisationId);
  const history = async (referralId: string) =>
    (await store.readStream<ReferralEvent>(`referral-${referralId}`)).map((event) =>
      event.type === 'ReferralStatusChanged'
        ? `${event.data.status}${event.data.reason === '' ? '' : ` ${event.data.reason}`}`
        : event.type,
    );
  const respond = (referralId: string, action: string, as: Principal, reason = '') =>
    asGateway.call(
      'respondToReferral',
      referral.RespondToReferralRequest.fromJSON({ referralId, action, reason }),
      { principal: as },
    );
  const feedback = async (caseId: string, as: Principal = ngo) =>
    (await asGateway.call('getReferralFeedback', { caseId }, { principal: as })).referrals.map(
      (item) => referral.ReferralFeedback.toJSON(item) as JsonObject,
    );

  it('keeps a directory of pull-feed providers, a suspension, and a programme with versioned criteria', async () => {
    await asAdmin.call(
      'registerProvider',
      pullProvider('org-embassy-p', 'RECIPIENT_TYPE_EMBASSY', ['NEED_RELOCATION_ABROAD'], {
        languages: ['fa', 'de'],
      }),
      { principal: admin },
    );
    await asAdmin.call(
      'registerProvider',
      pullProvider('org-fund-a', 'RECIPIENT_TYPE_EMERGENCY_FUND', ['NEED_EMERGENCY_GRANT'], {
        capacity: 5,
      }),
      { principal: admin },
    );
    await asAdmin.call(
      'registerProvider',
      pullProvider('org-fund-b', 'RECIPIENT_TYPE_EMERGENCY_FUND', ['NEED_EMERGENCY_GRANT'], {
        capacity: 2,
      }),
      { principal: admin },
    );
    // Unlimited, so it would rank first: only its suspension keeps it out.
    await asAdmin.call(
      'registerProvider',
      pullProvider('org-fund-suspended', 'RECIPIENT_TYPE_EMERGENCY_FUND', ['NEED_EMERGENCY_GRANT']),
      { principal: admin },
    );
    const suspended = await asAdmin.call(
      'setProviderStatus',
      { organisationId: suspendedFund.organisationId, active: false },
      { principal: admin },
    );
    expect(suspended.active).toBe(false);
    await expectAmanError(
      asGateway.call(
        'setProviderStatus',
        { organisationId: fundA.organisationId, active: false },
        { principal: admin },
      ),
      'AMAN_ERR_FORBIDDEN',
    );

    const define = (provinces: string[]) =>
      asAdmin.call(
        'registerProgramme',
        referral.RegisterProgrammeRequest.fromJSON({
          programmeId: PROGRAMME,
          providerOrganisationId: embassy.organisationId,
          name: 'Admission programme (test)',
          services: ['NEED_RELOCATION_ABROAD'],
          criteria: {
            profiles: ['PROFILE_JOURNALIST', 'PROFILE_WOMEN_RIGHTS_DEFENDER'],
            riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
            provinces,
          },
          quota: 1,
        }),
        { principal: admin },
      );
    expect(await define(['AF-KAB'])).toEqual({
      criteriaVersion: 1,
      status: referral.ProgrammeStatus.PROGRAMME_STATUS_OPEN,
    });
    // Herat added: version 2, which is what referrals will record.
    expect((await define(['AF-HER', 'AF-KAB'])).criteriaVersion).toBe(2);
    expect((await define(['AF-HER', 'AF-KAB'])).criteriaVersion).toBe(2);
    // The routing process learns the directory from referral's own events, in its own time.
    await eventually('the directory in the routing read models', async () =>
      (await providersSeen.count()) === 4 &&
      (await programmesSeen.get(PROGRAMME))?.data?.['criteriaVersion'] === 2
        ? true
        : undefined,
    );
    // Any organisation sees the programmes as routing does; nobody without one.
    const { programmes } = await asGateway.call('listProgrammes', {}, { principal: ngo });
    expect(programmes.map((programme) => referral.ProgrammeSummary.toJSON(programme))).toEqual([
      expect.objectContaining({
        programmeId: PROGRAMME,
        name: 'Admission programme (test)',
        criteriaVersion: 2,
        status: 'PROGRAMME_STATUS_OPEN',
      }),
    ]);
    await expectAmanError(asGateway.call('listProgrammes', {}, {}), 'AMAN_ERR_UNAUTHENTICATED');
  });

  it('routes to the open programme it matches, recording the criteria version, and only once', async () => {
    const caseId = caseNumber(1);
    await submit(caseId, ['NEED_RELOCATION_ABROAD']);
    await assess(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_URGENT', 72 * 3600, 144 * 3600);
    const referralId = programmeReferral(caseId);
    const [routed] = await eventually('the programme referral', async () => {
      const events = await store.readStream<ReferralEvent>(`referral-${referralId}`);
      return events.length > 0 ? events : undefined;
    });
    expect(routed).toMatchObject({
      type: 'ReferralRouted',
      data: {
        programmeId: PROGRAMME,
        criteriaVersion: 2,
        providerOrganisationId: embassy.organisationId,
        reasons: expect.arrayContaining([
          `programme ${PROGRAMME}, criteria version 2`,
          'serves NEED_RELOCATION_ABROAD',
          'takes PROFILE_JOURNALIST',
          'works in AF-HER',
        ]) as unknown,
      },
    });
    if (routed?.type !== 'ReferralRouted') throw new Error('not routed');
    // Deadlines from the assessment, counted from the routing.
    const routedAt = Date.parse(routed.data.routedAt);
    expect(Date.parse(routed.data.acknowledgeBy ?? '') - routedAt).toBe(72 * 3600 * 1000);
    expect(Date.parse(routed.data.decideBy ?? '') - routedAt).toBe(144 * 3600 * 1000);
    // The need is covered: the embassy's general service is not routed as well.
    expect(await store.readStream(`referral-${referralOf(caseId, embassy)}`)).toEqual([]);
  });

  it('gives a pull-feed provider its notifications through an opaque cursor; reading delivers', async () => {
    const caseId = caseNumber(1);
    const referralId = programmeReferral(caseId);
    const first = await asGateway.call(
      'readFeed',
      { cursor: '', limit: 0 },
      { principal: embassy },
    );
    expect(first.notifications.map((n) => [n.type, n.referralId])).toEqual([
      ['referral.routed', referralId],
    ]);
    expect(first.notifications[0]).toMatchObject({
      caseId: '',
      deadlineClass: common.DeadlineClass.DEADLINE_CLASS_URGENT,
    });
    await eventually('the delivery', async () =>
      (await history(referralId)).includes('REFERRAL_STATUS_DELIVERED') ? true : undefined,
    );
    // Nothing new after the cursor (it may move past other events of the log).
    const again = await asGateway.call(
      'readFeed',
      { cursor: first.nextCursor, limit: 10 },
      { principal: embassy },
    );
    expect(again.notifications).toEqual([]);
    expect(
      (
        await asGateway.call(
          'readFeed',
          { cursor: again.nextCursor, limit: 10 },
          { principal: embassy },
        )
      ).notifications,
    ).toEqual([]);
    // From the start again: the same notification, the same id, still delivered once.
    const replay = await asGateway.call(
      'readFeed',
      { cursor: '', limit: 0 },
      { principal: embassy },
    );
    expect(replay.notifications.map((n) => n.id)).toEqual(first.notifications.map((n) => n.id));
    expect(
      (await history(referralId)).filter((step) => step === 'REFERRAL_STATUS_DELIVERED'),
    ).toHaveLength(1);
    // Another provider sees none of it; a forged cursor is refused without being echoed.
    expect(
      (await asGateway.call('readFeed', { cursor: '', limit: 0 }, { principal: fundB }))
        .notifications,
    ).toEqual([]);
    const refused = await expectAmanError(
      asGateway.call('readFeed', { cursor: 'secret-looking', limit: 0 }, { principal: embassy }),
      'AMAN_ERR_VALIDATION',
    );
    expect(refused.message).not.toContain('secret-looking');
    await expectAmanError(
      asGateway.call('readFeed', { cursor: '', limit: 0 }, { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
  });

  it('tells the NGO honestly: received, delivered and seen with their times, nothing not reached', async () => {
    const caseId = caseNumber(1);
    const referralId = programmeReferral(caseId);
    const before = await feedback(caseId);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({
      referralId,
      status: 'REFERRAL_STATUS_DELIVERED',
      programmeId: PROGRAMME,
      criteriaVersion: 2,
    });
    expect(before[0]).toHaveProperty('receivedAt');
    expect(before[0]).toHaveProperty('deliveredAt');
    expect(before[0]).not.toHaveProperty('seenAt');
    expect(before[0]).not.toHaveProperty('acknowledgedAt');
    expect(before[0]).not.toHaveProperty('decidedAt');

    const { packet } = await asGateway.call('getPacket', { referralId }, { principal: embassy });
    expect(packet?.fullName).toBe(CANARY);
    await asGateway.call('getPacket', { referralId }, { principal: embassy });
    const after = await feedback(caseId);
    expect(after[0]).toHaveProperty('seenAt');
    expect(after[0]?.['status']).toBe('REFERRAL_STATUS_DELIVERED');
    // Seen once, however often fetched.
    expect((await history(referralId)).filter((step) => step === 'ReferralSeen')).toHaveLength(1);
    // Another NGO learns nothing of the case: the 404 of a case that does not exist.
    const foreign = await expectAmanError(feedback(caseId, otherNgo), 'AMAN_ERR_NOT_FOUND');
    const none = await expectAmanError(feedback('no-such-case', ngo), 'AMAN_ERR_NOT_FOUND');
    expect(foreign.message).toBe(none.message);
  });

  it('walks the lifecycle table over gRPC, with the NGO answering a request for information', async () => {
    const caseId = caseNumber(1);
    const referralId = programmeReferral(caseId);
    // A second case, pending on the same programme when the first acceptance fills it.
    const pendingCase = caseNumber(2);
    await submit(pendingCase, ['NEED_RELOCATION_ABROAD']);
    await assess(pendingCase, 'RISK_LEVEL_CRITICAL', 'DEADLINE_CLASS_CRITICAL', 4 * 3600, 8 * 3600);
    await eventually('the second programme referral', async () =>
      (await history(programmeReferral(pendingCase))).length > 0 ? true : undefined,
    );

    await expectAmanError(
      respond(referralId, 'REFERRAL_ACTION_ACCEPT', embassy),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    await respond(referralId, 'REFERRAL_ACTION_ACKNOWLEDGE', embassy);
    expect(
      (await respond(referralId, 'REFERRAL_ACTION_REQUEST_INFO', embassy, 'documents')).status,
    ).toBe(referral.ReferralStatus.REFERRAL_STATUS_INFO_REQUESTED);
    await expectAmanError(
      asGateway.call('answerInfoRequest', { referralId }, { principal: otherNgo }),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      asGateway.call('answerInfoRequest', { referralId }, { principal: embassy }),
      'AMAN_ERR_FORBIDDEN',
    );
    expect(
      (await asGateway.call('answerInfoRequest', { referralId }, { principal: ngo })).status,
    ).toBe(referral.ReferralStatus.REFERRAL_STATUS_ACKNOWLEDGED);
    await respond(referralId, 'REFERRAL_ACTION_ACCEPT', embassy);
    await respond(referralId, 'REFERRAL_ACTION_REPORT_PROGRESS', embassy);
    await respond(referralId, 'REFERRAL_ACTION_COMPLETE', embassy);
    await expectAmanError(
      respond(referralId, 'REFERRAL_ACTION_CLOSE', embassy, 'unreachable'),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    expect(await history(referralId)).toEqual([
      'ReferralRouted',
      'REFERRAL_STATUS_DELIVERED',
      'ReferralSeen',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_INFO_REQUESTED documents',
      'REFERRAL_STATUS_ACKNOWLEDGED info_provided',
      'REFERRAL_STATUS_ACCEPTED',
      'REFERRAL_STATUS_IN_PROGRESS',
      'REFERRAL_STATUS_COMPLETED',
    ]);
    const [told] = await feedback(caseId);
    expect(told).toMatchObject({ status: 'REFERRAL_STATUS_COMPLETED' });
    expect(told).toHaveProperty('acknowledgedAt');
    expect(told).toHaveProperty('decidedAt');
    expect((told?.['steps'] as JsonObject[]).map((step) => step['status'])).toEqual([
      'REFERRAL_STATUS_ROUTED',
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_INFO_REQUESTED',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_ACCEPTED',
      'REFERRAL_STATUS_IN_PROGRESS',
      'REFERRAL_STATUS_COMPLETED',
    ]);
  });

  it('fills the programme at its quota and tells the NGO of the pending referral', async () => {
    const pendingReferral = programmeReferral(caseNumber(2));
    await eventually('the programme full', async () =>
      (await store.readStream('programme-bap-test')).some(
        (event) =>
          event.type === 'ProgrammeStatusChanged' &&
          event.data['status'] === 'PROGRAMME_STATUS_FULL',
      )
        ? true
        : undefined,
    );
    await eventually('the pending NGO told', async () =>
      (await history(pendingReferral)).includes('ReferralProgrammeChanged') ? true : undefined,
    );
    const [pending] = await feedback(caseNumber(2));
    expect(pending).toMatchObject({
      referralId: pendingReferral,
      programmeStatus: 'PROGRAMME_STATUS_FULL',
      status: 'REFERRAL_STATUS_ROUTED',
    });
    // A new case is not routed to the full programme, but to the embassy's general service.
    const laterCase = caseNumber(3);
    await submit(laterCase, ['NEED_RELOCATION_ABROAD']);
    await assess(laterCase, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_URGENT', 72 * 3600, 144 * 3600);
    await eventually('the general referral', async () =>
      (await history(referralOf(laterCase, embassy))).length > 0 ? true : undefined,
    );
    expect(await history(programmeReferral(laterCase))).toEqual([]);
    // Closing it tells the pending NGO again.
    await asAdmin.call(
      'setProgrammeStatus',
      { programmeId: PROGRAMME, status: referral.ProgrammeStatus.PROGRAMME_STATUS_CLOSED },
      { principal: admin },
    );
    await eventually('the closure told', async () =>
      (await feedback(caseNumber(2)))[0]?.['programmeStatus'] === 'PROGRAMME_STATUS_CLOSED'
        ? true
        : undefined,
    );
    // The provider is told too, through its feed (webhook providers by webhook), once each.
    const told = async () =>
      (
        await asGateway.call('readFeed', { cursor: '', limit: 100 }, { principal: embassy })
      ).notifications.filter((n) => n.type === 'referral.programme_changed');
    const changes = await told();
    expect(changes.map((n) => [n.referralId, n.programmeId, n.programmeStatus])).toEqual([
      [pendingReferral, PROGRAMME, 'PROGRAMME_STATUS_FULL'],
      [pendingReferral, PROGRAMME, 'PROGRAMME_STATUS_CLOSED'],
    ]);
    expect((await told()).map((n) => n.id)).toEqual(changes.map((n) => n.id));
  });

  it('expires a missed acknowledgement once, across a restart, and escalates to the next provider', async () => {
    const caseId = caseNumber(4);
    // Stopped, as a crashed service would be: the deadline passes while nothing runs.
    await runner?.stop();
    runner = undefined;
    await submit(caseId, ['NEED_EMERGENCY_GRANT']);
    await assess(caseId, 'RISK_LEVEL_CRITICAL', 'DEADLINE_CLASS_CRITICAL', 2, 4);
    const first = referralOf(caseId, fundA);
    await eventually('the first fund routed', async () =>
      (await history(first)).length > 0 ? true : undefined,
    );
    // The suspended fund would have ranked first.
    expect(await history(referralOf(caseId, suspendedFund))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await history(first)).toEqual(['ReferralRouted']);

    // The restart: a fresh platform's store over the same timers, a new runner, twice over.
    const restarted = new Platform(config, 'referral', quiet());
    const reopened = await restarted.timers('deadline_timers');
    const runners = [
      runDeadlines({ timers: reopened, referrals, logger: quiet(), pollMs: 50 }),
      runDeadlines({ timers: reopened, referrals, logger: quiet(), pollMs: 50 }),
    ];
    try {
      await eventually('the expiry', async () =>
        (await history(first)).includes('REFERRAL_STATUS_EXPIRED acknowledgement_missed')
          ? true
          : undefined,
      );
      const second = referralOf(caseId, fundB);
      const [routed] = await eventually('the next provider', async () => {
        const events = await store.readStream<ReferralEvent>(`referral-${second}`);
        return events.length > 0 ? events : undefined;
      });
      expect(routed?.data).toMatchObject({
        reasons: expect.arrayContaining([
          'next in rank for NEED_EMERGENCY_GRANT after REFERRAL_STATUS_EXPIRED',
        ]) as unknown,
      });
      // Past the decision deadline too: still expired once, escalated once.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(await history(first)).toEqual([
        'ReferralRouted',
        'REFERRAL_STATUS_EXPIRED acknowledgement_missed',
        'ReferralEscalated',
      ]);
      const [told] = (await feedback(caseId)).filter((item) => item['referralId'] === first);
      expect(told).toMatchObject({ status: 'REFERRAL_STATUS_EXPIRED' });
      expect(told).not.toHaveProperty('deliveredAt');
    } finally {
      for (const each of runners) await each.stop();
      await restarted.close();
    }
    runner = runDeadlines({ timers, referrals, logger: quiet(), pollMs: 100 });
  });

  it('brings the open deadlines forward when the risk level is raised, and expires by them', async () => {
    const caseId = caseNumber(5);
    await submit(caseId, ['NEED_EMERGENCY_GRANT']);
    await assess(caseId, 'RISK_LEVEL_MEDIUM', 'DEADLINE_CLASS_NORMAL', 14 * 86_400, 28 * 86_400);
    const referralId = referralOf(caseId, fundA);
    await eventually('the routing', async () =>
      (await history(referralId)).length > 0 ? true : undefined,
    );
    await assess(caseId, 'RISK_LEVEL_CRITICAL', 'DEADLINE_CLASS_CRITICAL', 2, 4);
    await eventually('the tightened deadlines', async () =>
      (await history(referralId)).includes('ReferralDeadlinesChanged') ? true : undefined,
    );
    const [told] = await feedback(caseId);
    const routedAt = Date.parse(told?.['receivedAt'] as string);
    expect(Date.parse(told?.['acknowledgeBy'] as string) - routedAt).toBe(2_000);
    await eventually(
      'the expiry by the tightened deadline',
      async () =>
        (await history(referralId)).includes('REFERRAL_STATUS_EXPIRED acknowledgement_missed')
          ? true
          : undefined,
      15_000,
    );
  });

  it('keeps no personal data: the packet’s name is in no stored event', async () => {
    const stored = JSON.stringify(await store.readAll({ after: 0, limit: 10_000 }));
    expect(stored).toContain(PROGRAMME);
    expect(stored).not.toContain(CANARY);
    expect(stored).not.toContain('Zarghuna');
  });

  it('routes a case that waited for a provider as soon as one that serves its need registers', async () => {
    const caseId = caseNumber(7);
    await submit(caseId, ['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID']);
    await assess(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_URGENT', 72 * 3600, 144 * 3600);
    const lateFund = providerPrincipal('org-fund-late-legal');
    await eventually('the grant routed', async () =>
      (await store.readStream(`referral-${referralOf(caseId, fundA)}`)).length > 0
        ? true
        : undefined,
    );
    // Nobody serves legal aid yet: that need waits. A fund that offers it registers.
    expect(await history(referralOf(caseId, lateFund))).toEqual([]);
    await asAdmin.call(
      'registerProvider',
      pullProvider(lateFund.organisationId, 'RECIPIENT_TYPE_EMERGENCY_FUND', ['NEED_LEGAL_AID']),
      { principal: admin },
    );
    await eventually('the waiting need routed', async () =>
      (await history(referralOf(caseId, lateFund))).length > 0 ? true : undefined,
    );
    // The need already covered is not routed twice.
    expect(await history(referralOf(caseId, fundB))).toEqual([]);
  });

  it('escalates a declined referral to the next provider in rank, and says why', async () => {
    const caseId = caseNumber(6);
    await submit(caseId, ['NEED_EMERGENCY_GRANT']);
    await assess(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_URGENT', 72 * 3600, 144 * 3600);
    const first = referralOf(caseId, fundA);
    await eventually('the routing', async () =>
      (await history(first)).length > 0 ? true : undefined,
    );
    await asGateway.call('readFeed', { cursor: '', limit: 100 }, { principal: fundA });
    await respond(first, 'REFERRAL_ACTION_ACKNOWLEDGE', fundA);
    await respond(first, 'REFERRAL_ACTION_DECLINE', fundA, 'outside_mandate');
    const [routed] = await eventually('the next provider', async () => {
      const events = await store.readStream<ReferralEvent>(`referral-${referralOf(caseId, fundB)}`);
      return events.length > 0 ? events : undefined;
    });
    expect(routed?.data).toMatchObject({
      reasons: expect.arrayContaining([
        'next in rank for NEED_EMERGENCY_GRANT after REFERRAL_STATUS_DECLINED',
      ]) as unknown,
    });
    const told = await feedback(caseId);
    expect(told.map((item) => [item['providerOrganisationId'], item['status']])).toEqual(
      expect.arrayContaining([
        [fundA.organisationId, 'REFERRAL_STATUS_DECLINED'],
        [fundB.organisationId, 'REFERRAL_STATUS_ROUTED'],
      ]),
    );
  });

  it('escalates a missed deadline whose event reaches routing before the case’s index shows it', async () => {
    // A decision appends, then writes the case's index of referrals; its event can reach routing
    // between the two (the relay was quick, or the writer died). Here the second write never
    // comes: the expiry is decided on the stream alone, the index left saying ROUTED.
    const medicalA = providerPrincipal('org-medical-fund-a');
    const medicalB = providerPrincipal('org-medical-fund-b');
    for (const [fund, capacity] of [
      [medicalA, 5],
      [medicalB, 4],
    ] as const) {
      await asAdmin.call(
        'registerProvider',
        pullProvider(fund.organisationId, 'RECIPIENT_TYPE_EMERGENCY_FUND', ['NEED_MEDICAL'], {
          capacity,
        }),
        { principal: admin },
      );
    }
    await eventually('both medical funds known to routing', async () => {
      const known = await providersSeen.getMany([medicalA.organisationId, medicalB.organisationId]);
      return [...known.values()].filter((each) => each.data !== undefined).length === 2
        ? true
        : undefined;
    });
    const caseId = caseNumber(8);
    await submit(caseId, ['NEED_MEDICAL']);
    await assess(caseId, 'RISK_LEVEL_HIGH', 'DEADLINE_CLASS_URGENT', 72 * 3600, 144 * 3600);
    const first = referralOf(caseId, medicalA);
    await eventually('the routing', async () =>
      (await history(first)).length > 0 ? true : undefined,
    );
    const state = await referrals.state(first);
    if (state.status === 'NOT_ROUTED') throw new Error('routed, yet not routed');
    await handleCommand(
      store,
      `referral-${first}`,
      referralDecider,
      {
        type: 'MissDeadline',
        data: {
          deadline: 'acknowledgement',
          at: new Date(Date.parse(state.acknowledgeBy) + 1_000).toISOString(),
        },
      },
      {
        metadata: {
          actor: { organisationId: ngo.organisationId, principalId: 'referral' },
          correlationId: caseId,
        },
      },
    );
    await eventually('the next provider', async () =>
      (await history(referralOf(caseId, medicalB))).length > 0 ? true : undefined,
    );
    expect(await history(first)).toEqual([
      'ReferralRouted',
      'REFERRAL_STATUS_EXPIRED acknowledgement_missed',
      'ReferralEscalated',
    ]);
  });
}

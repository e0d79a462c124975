/*
 * Accountability as it runs, over real gRPC with the real stores, in both modes: embedded
 * (SQLite files, a consumer tailing them) and distributed (MongoDB/FerretDB, Kafka through the
 * outbox relay). A consumer in another context sees only IncidentRecorded, per case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MongoClient } from 'mongodb';

import { accountability } from '@aman/contracts';
import type { EventStore } from '@aman/eventstore';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  createLogger,
  idFrom,
  startGrpcServer,
  type ConsumedEvent,
  type GrpcServer,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import { describeWithKafka, describeWithMongo, eventually, expectAmanError } from '@aman/testing';

import { DEFAULT_RESPONSE_POLICY } from './domain/index.ts';
import { startAccountability } from './service.ts';

const monitor: Principal = {
  organisationId: 'org-monitor',
  organisationType: 'monitor',
  keyId: 'key_mon',
};
const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const logger = createLogger('accountability', 'silent');
const CASE = '0195a1c2-7f00-7000-8000-00000000c0de';
const DAY = 86_400_000;

type Mode = {
  readonly name: string;
  readonly platform: () => PlatformConfig;
  readonly cleanUp: () => Promise<void>;
};

const report = (key: string, act = 'ACT_DEATH_THREAT', occurredOn = '2026-10-30') =>
  accountability.RecordIncidentRequest.fromJSON({
    idempotencyKey: key,
    caseId: CASE,
    act,
    occurredOn,
    province: 'AF-HER',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    sourceType: 'SOURCE_TYPE_WITNESS',
  });

/** The full form: an act against an anonymous victim only, so nothing is published. */
const anonymousKilling = (key: string, occurredOn: string, act = 'ACT_KILLING') =>
  accountability.RecordIncidentRequest.fromJSON({
    idempotencyKey: key,
    occurredOn,
    province: 'AF-KAB',
    acts: [
      {
        act,
        victim: {
          anonymous: { profile: 'PROFILE_JOURNALIST', gender: 'GENDER_WOMAN', province: 'AF-KAB' },
        },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
      },
    ],
    sources: [{ type: 'SOURCE_TYPE_MEDIA', reliability: 'SOURCE_RELIABILITY_FAIRLY_RELIABLE' }],
    verificationStatus: 'VERIFICATION_STATUS_LIKELY',
  });

function accountabilityOverGrpc(mode: Mode): void {
  const keys = mkdtempSync(join(tmpdir(), 'aman-accountability-keys-'));
  let platform: Platform;
  let consumerPlatform: Platform;
  let store: EventStore;
  let server: GrpcServer;
  let gateway: ServiceClient<accountability.AccountabilityServiceClient>;
  let monitoring: ServiceClient<accountability.MonitoringServiceClient>;
  let referral: ServiceClient<accountability.MonitoringServiceClient>;
  const consumed: ConsumedEvent[] = [];

  beforeAll(async () => {
    platform = new Platform(mode.platform(), 'accountability', logger);
    const started = await startAccountability({
      platform,
      identity: await ServiceIdentity.load('accountability', keys),
      logger,
      responsePolicy: DEFAULT_RESPONSE_POLICY,
    });
    store = await platform.eventStore();
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: started.grpc ?? [] });
    const address = `127.0.0.1:${server.port}`;
    const audience = 'accountability';
    gateway = new ServiceClient({
      audience,
      address,
      client: accountability.AccountabilityServiceClient,
      identity: await ServiceIdentity.load('gateway', keys),
    });
    monitoring = new ServiceClient({
      audience,
      address,
      client: accountability.MonitoringServiceClient,
      identity: await ServiceIdentity.load('gateway', keys),
    });
    referral = new ServiceClient({
      audience,
      address,
      client: accountability.MonitoringServiceClient,
      identity: await ServiceIdentity.load('referral', keys),
    });
    // Another context (risk-assessment, projections) as it consumes accountability's events.
    consumerPlatform = new Platform(mode.platform(), 'risk-assessment', logger);
    await consumerPlatform.subscribe('accountability-test', ['accountability'], (event) => {
      consumed.push(event);
      return Promise.resolve();
    });
  }, 60_000);

  afterAll(async () => {
    gateway.close();
    monitoring.close();
    referral.close();
    await server.stop();
    await consumerPlatform.close();
    await platform.close();
    await mode.cleanUp();
    rmSync(keys, { recursive: true, force: true });
  }, 60_000);

  it('records a monitor’s incident once per idempotency key, and tells its case', async () => {
    const first = await gateway.call('recordIncident', report('inc-0001'), { principal: monitor });
    expect(first.incidentId).toBe(idFrom('incident', monitor.organisationId, 'inc-0001'));
    const again = await gateway.call('recordIncident', report('inc-0001'), { principal: monitor });
    expect(again.incidentId).toBe(first.incidentId);

    const stream = await store.readStream(`incident-${first.incidentId}`);
    expect(stream.map((event) => event.type)).toEqual([
      'IncidentDocumented',
      'IncidentRecorded',
      'IdempotencyKeyUsed',
    ]);
    expect(stream[0]?.data).toMatchObject({
      sources: [{ type: 'SOURCE_TYPE_WITNESS', reliability: 'SOURCE_RELIABILITY_UNKNOWN' }],
      verificationStatus: 'VERIFICATION_STATUS_UNVERIFIED',
    });
    expect(stream[1]).toMatchObject({
      data: {
        incidentId: first.incidentId,
        caseId: CASE,
        act: 'ACT_DEATH_THREAT',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
        recordedByOrganisationId: monitor.organisationId,
      },
      metadata: {
        actor: { organisationId: monitor.organisationId, principalId: monitor.keyId },
        correlationId: CASE,
      },
    });
    const published = await eventually('the incident reaches another context', () =>
      consumed.find((event) => event.data['incidentId'] === first.incidentId),
    );
    expect(published).toMatchObject({
      type: 'IncidentRecorded',
      source: '/aman/accountability',
      data: { caseId: CASE, act: 'ACT_DEATH_THREAT', occurredOn: '2026-10-30' },
    });
  });

  it('keeps an anonymous victim’s profile inside the context, and publishes nothing for it', async () => {
    const { incidentId } = await gateway.call(
      'recordIncident',
      anonymousKilling('inc-anon', '2026-10-01'),
      { principal: monitor },
    );
    const [documented] = await store.readStream(`incident-${incidentId}`);
    expect(documented?.data).toMatchObject({
      acts: [{ victim: { anonymous: { profile: 'PROFILE_JOURNALIST' } } }],
      verificationStatus: 'VERIFICATION_STATUS_LIKELY',
    });
    // A later incident against the case arrives, so anything of this one would have too.
    const later = await gateway.call('recordIncident', report('inc-after-anon'), {
      principal: monitor,
    });
    await eventually('a later incident arrives', () =>
      consumed.find((event) => event.data['incidentId'] === later.incidentId),
    );
    expect(consumed.map((event) => event.type)).not.toContain('IncidentDocumented');
    expect(consumed.some((event) => event.data['incidentId'] === incidentId)).toBe(false);
    expect(JSON.stringify(consumed)).not.toContain('PROFILE_JOURNALIST');
  });

  it('refuses the same key for a different incident, and an incident said two ways', async () => {
    await gateway.call('recordIncident', report('inc-0002'), { principal: monitor });
    await expectAmanError(
      gateway.call('recordIncident', report('inc-0002', 'ACT_ASSAULT'), { principal: monitor }),
      'AMAN_ERR_IDEMPOTENCY_CONFLICT',
    );
    const both = accountability.RecordIncidentRequest.fromJSON({
      ...(accountability.RecordIncidentRequest.toJSON(
        anonymousKilling('inc-0003', '2026-10-01'),
      ) as object),
      caseId: CASE,
    });
    await expectAmanError(
      gateway.call('recordIncident', both, { principal: monitor }),
      'AMAN_ERR_VALIDATION',
    );
  });

  it('changes an incident’s verification, apart from its sources', async () => {
    const { incidentId } = await gateway.call('recordIncident', report('inc-verify'), {
      principal: monitor,
    });
    await monitoring.call(
      'setIncidentVerification',
      accountability.SetIncidentVerificationRequest.fromJSON({
        incidentId,
        verificationStatus: 'VERIFICATION_STATUS_CONFIRMED',
      }),
      { principal: monitor },
    );
    const events = await store.readStream(`incident-${incidentId}`);
    expect(events.at(-1)).toMatchObject({
      type: 'IncidentVerificationChanged',
      data: { verificationStatus: 'VERIFICATION_STATUS_CONFIRMED' },
    });
    await expectAmanError(
      monitoring.call(
        'setIncidentVerification',
        accountability.SetIncidentVerificationRequest.fromJSON({
          incidentId: 'no-such-incident',
          verificationStatus: 'VERIFICATION_STATUS_CONFIRMED',
        }),
        { principal: monitor },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
  });

  const openInvestigation = (key: string, incidentId: string, openedOn = '2023-02-01') =>
    monitoring.call(
      'openInvestigation',
      accountability.OpenInvestigationRequest.fromJSON({
        idempotencyKey: key,
        incidentId,
        body: 'AUTHORITY_PROSECUTOR',
        openedOn,
      }),
      { principal: monitor },
    );
  const step = (investigationId: string, name: string, on: string, outcome?: string) =>
    monitoring.call(
      'recordInvestigationStep',
      accountability.RecordInvestigationStepRequest.fromJSON({
        investigationId,
        step: name,
        on,
        ...(outcome === undefined ? {} : { outcome }),
      }),
      { principal: monitor },
    );

  it('follows an investigation through its lifecycle, refusing steps out of order', async () => {
    const { incidentId } = await gateway.call('recordIncident', report('inc-inv'), {
      principal: monitor,
    });
    const { investigationId } = await openInvestigation('inv-1', incidentId, '2026-10-31');
    await expectAmanError(
      step(investigationId, 'INVESTIGATION_STEP_CHARGED', '2026-11-01'),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    const identified = await step(
      investigationId,
      'INVESTIGATION_STEP_SUSPECT_IDENTIFIED',
      '2026-11-01',
    );
    expect(accountability.investigationStatusToJSON(identified.status)).toBe(
      'INVESTIGATION_STATUS_SUSPECT_IDENTIFIED',
    );
    const closed = await step(
      investigationId,
      'INVESTIGATION_STEP_CLOSED_WITHOUT_ACCOUNTABILITY',
      '2026-11-02',
    );
    expect(accountability.investigationStatusToJSON(closed.status)).toBe(
      'INVESTIGATION_STATUS_CLOSED_WITHOUT_ACCOUNTABILITY',
    );
    await expectAmanError(
      step(investigationId, 'INVESTIGATION_STEP_TRIED', '2026-11-03'),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    await expectAmanError(openInvestigation('inv-2', 'no-such-incident'), 'AMAN_ERR_NOT_FOUND');
    await expectAmanError(
      step('no-such-investigation', 'INVESTIGATION_STEP_CHARGED', '2026-11-01'),
      'AMAN_ERR_NOT_FOUND',
    );
  });

  it('lists the interventions whose authority has not responded in time', async () => {
    const { incidentId } = await gateway.call('recordIncident', report('inc-interventions'), {
      principal: monitor,
    });
    const now = Date.now();
    const send = (key: string, type: string, sentAt: number) =>
      monitoring.call(
        'recordIntervention',
        accountability.RecordInterventionRequest.fromJSON({
          idempotencyKey: key,
          incidentId,
          type,
          addressee: 'AUTHORITY_PROTECTION_COMMISSION',
          sentAt: new Date(sentAt).toISOString(),
        }),
        { principal: monitor },
      );
    // A complaint has 14 days: sent 20 days ago, 6 days overdue.
    const late = await send('complaint-late', 'INTERVENTION_TYPE_COMPLAINT', now - 20 * DAY);
    expect(late.dueBy?.getTime()).toBe(now - 6 * DAY);
    // An early warning has 2 days: sent 3 days ago, 1 day overdue.
    const warning = await send('warning-late', 'INTERVENTION_TYPE_EARLY_WARNING', now - 3 * DAY);
    const answered = await send(
      'complaint-answered',
      'INTERVENTION_TYPE_COMPLAINT',
      now - 30 * DAY,
    );
    const closed = await send('complaint-closed', 'INTERVENTION_TYPE_COMPLAINT', now - 30 * DAY);
    await send('warning-fresh', 'INTERVENTION_TYPE_EARLY_WARNING', now - DAY);

    const response = await monitoring.call(
      'recordAuthorityResponse',
      accountability.RecordAuthorityResponseRequest.fromJSON({
        interventionId: answered.interventionId,
        response: 'AUTHORITY_RESPONSE_TOKEN_RESPONSE',
        respondedAt: new Date(now - 5 * DAY).toISOString(),
        impact: 'IMPACT_NONE',
      }),
      { principal: monitor },
    );
    expect(response.responseHours).toBe(25 * 24);
    await monitoring.call(
      'setInterventionStatus',
      accountability.SetInterventionStatusRequest.fromJSON({
        interventionId: closed.interventionId,
        status: 'INTERVENTION_STATUS_CLOSED',
      }),
      { principal: monitor },
    );
    await expectAmanError(
      monitoring.call(
        'recordAuthorityResponse',
        accountability.RecordAuthorityResponseRequest.fromJSON({
          interventionId: closed.interventionId,
          response: 'AUTHORITY_RESPONSE_DENIED_EVENT',
          respondedAt: new Date(now - DAY).toISOString(),
        }),
        { principal: monitor },
      ),
      'AMAN_ERR_ILLEGAL_STATE',
    );

    const { interventions } = await monitoring.call(
      'listOverdueInterventions',
      accountability.ListOverdueInterventionsRequest.fromJSON({}),
      { principal: monitor },
    );
    expect(
      interventions.map((item) => [
        item.interventionId,
        accountability.interventionTypeToJSON(item.type),
        item.daysOverdue,
      ]),
    ).toEqual([
      [late.interventionId, 'INTERVENTION_TYPE_COMPLAINT', 6],
      [warning.interventionId, 'INTERVENTION_TYPE_EARLY_WARNING', 1],
    ]);
  });

  it('gives the impunity figures of a period on a seeded history, exactly', async () => {
    const seed = async (key: string, occurredOn: string, act = 'ACT_KILLING') =>
      (
        await gateway.call('recordIncident', anonymousKilling(key, occurredOn, act), {
          principal: monitor,
        })
      ).incidentId;
    const through = async (incidentId: string, steps: readonly string[]) => {
      const { investigationId } = await openInvestigation(`inv-${incidentId}`, incidentId);
      let day = 2;
      for (const name of steps) {
        await step(
          investigationId,
          name,
          `2023-03-${String(day).padStart(2, '0')}`,
          name === 'INVESTIGATION_STEP_OUTCOME' ? 'INVESTIGATION_OUTCOME_CONVICTED' : undefined,
        );
        day += 1;
      }
    };
    const identify = 'INVESTIGATION_STEP_SUSPECT_IDENTIFIED';
    const charge = 'INVESTIGATION_STEP_CHARGED';
    const tryIt = 'INVESTIGATION_STEP_TRIED';
    // A killing tried and concluded; a killing whose suspect was identified, then dropped.
    await through(await seed('seed-a', '2023-01-10'), [
      identify,
      charge,
      tryIt,
      'INVESTIGATION_STEP_OUTCOME',
    ]);
    await through(await seed('seed-b', '2023-01-20'), [
      identify,
      'INVESTIGATION_STEP_CLOSED_WITHOUT_ACCOUNTABILITY',
    ]);
    // An assault charged (by two bodies: counted once); an attempted killing never investigated.
    const c = await seed('seed-c', '2023-01-25', 'ACT_ASSAULT');
    await through(c, [identify, charge]);
    const { investigationId } = await openInvestigation('inv-c-2', c);
    await step(investigationId, identify, '2023-03-02');
    await seed('seed-d', '2023-01-31', 'ACT_ATTEMPTED_KILLING');
    // Not counted: a death threat tried; a killing the day before the period.
    await through(await seed('seed-e', '2023-01-15', 'ACT_DEATH_THREAT'), [
      identify,
      charge,
      tryIt,
    ]);
    await through(await seed('seed-f', '2022-12-31'), [identify, charge, tryIt]);

    const figures = await monitoring.call(
      'getImpunityFigures',
      accountability.GetImpunityFiguresRequest.fromJSON({ from: '2023-01-01', to: '2023-01-31' }),
      { principal: monitor },
    );
    expect(figures).toEqual({
      killingsAndAttacks: {
        incidents: 4,
        identified: 3,
        charged: 2,
        tried: 1,
        identifiedShare: 0.75,
        chargedShare: 0.5,
        triedShare: 0.25,
      },
      killings: {
        incidents: 2,
        identified: 2,
        charged: 1,
        tried: 1,
        identifiedShare: 1,
        chargedShare: 0.5,
        triedShare: 0.5,
      },
    });
  });

  it('is for monitors only, and only through the gateway', async () => {
    const before = await store.headPosition();
    await expectAmanError(
      gateway.call('recordIncident', report('inc-0004'), { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      gateway.call('recordIncident', report('inc-0004')),
      'AMAN_ERR_UNAUTHENTICATED',
    );
    const period = accountability.GetImpunityFiguresRequest.fromJSON({
      from: '2023-01-01',
      to: '2023-01-31',
    });
    await expectAmanError(
      monitoring.call('getImpunityFigures', period, { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      referral.call('getImpunityFigures', period, { principal: monitor }),
      'AMAN_ERR_FORBIDDEN',
    );
    expect(await store.headPosition()).toBe(before);
  });
}

const embedded = (): Mode => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-accountability-'));
  return {
    name: 'embedded',
    platform: () => ({ mode: 'embedded', dataDir: dir }),
    cleanUp: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
};

const distributed = (
  kafka: { brokers: string[]; namespace: string },
  mongo: { uri: string; database: string },
): Mode => ({
  name: 'distributed',
  platform: () => ({
    mode: 'distributed',
    mongoUri: mongo.uri,
    kafkaBrokers: kafka.brokers,
    databasePrefix: mongo.database,
    topicPrefix: `${kafka.namespace}.`,
  }),
  cleanUp: async () => {
    const client = new MongoClient(mongo.uri);
    await client.connect();
    try {
      for (const service of ['accountability', 'risk_assessment']) {
        await client.db(`${mongo.database}_${service}`).dropDatabase();
      }
    } finally {
      await client.close();
    }
  },
});

describe('accountability over gRPC, embedded (SQLite)', () => {
  accountabilityOverGrpc(embedded());
});

describeWithKafka('accountability over gRPC, distributed', (kafka) => {
  describeWithMongo('MongoDB and Kafka', (mongo) => {
    accountabilityOverGrpc(distributed(kafka, mongo));
  });
});

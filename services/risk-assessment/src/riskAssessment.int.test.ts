/*
 * Risk assessment as it runs, over real gRPC with the real stores, in both modes: embedded
 * (SQLite files, consumers tailing them) and distributed (MongoDB/FerretDB, Kafka through the
 * outbox relay). Intake's and accountability's events are appended to their own stores and
 * published with the platform as those services do (intake's ReportThreat is being changed in
 * parallel, so its events are fed through the real bus rather than through its RPC).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MongoClient } from 'mongodb';

import { common, risk } from '@aman/contracts';
import type { EventStore, JsonObject } from '@aman/eventstore';
import {
  Platform,
  ServiceClient,
  ServiceIdentity,
  createLogger,
  startGrpcServer,
  type ConsumedEvent,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import { describeWithKafka, describeWithMongo, eventually, expectAmanError } from '@aman/testing';
import { MongoTimerStore, SqliteTimerStore, type TimerStore } from '@aman/timers';

import { reassessmentTimerId } from './application/reassessmentSchedule.ts';
import { DEFAULT_POLICY, type AssessmentPolicy } from './domain/index.ts';
import { startRiskAssessment } from './service.ts';

const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const otherNgo: Principal = {
  organisationId: 'org-ngo-2',
  organisationType: 'ngo',
  keyId: 'key_2',
};
const provider: Principal = {
  organisationId: 'org-emb',
  organisationType: 'provider',
  keyId: 'key_e',
};

/** Free text an assessor wrote: it must never leave risk-assessment but through the history. */
const CANARY = 'Canary justification: the district commander named them on the radio';

const logger = createLogger('risk-assessment', 'silent');

/** What one mode needs: where the platform lives, and a timer store of the same kind. */
type Mode = {
  readonly name: string;
  readonly platform: () => PlatformConfig;
  readonly openTimers: () => Promise<{ timers: TimerStore; close: () => Promise<void> }>;
  readonly cleanUp: () => Promise<void>;
};

type Running = {
  readonly port: number;
  readonly timers: TimerStore;
  stop(): Promise<void>;
};

async function startService(mode: Mode, keys: string, policy: AssessmentPolicy): Promise<Running> {
  const platform = new Platform(mode.platform(), 'risk-assessment', logger);
  const { timers, close } = await mode.openTimers();
  const started = await startRiskAssessment({
    platform,
    identity: await ServiceIdentity.load('risk-assessment', keys),
    logger,
    policy,
    timers,
    timerPollMs: 100,
  });
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: started.grpc ?? [],
  });
  return {
    port: server.port,
    timers,
    async stop() {
      await server.stop();
      await started.stop?.();
      await platform.close();
      await close();
    },
  };
}

/** A producing context, publishing as its service does: its own store, its own relay. */
async function producer(mode: Mode, service: 'intake' | 'accountability') {
  const platform = new Platform(mode.platform(), service, logger);
  const store: EventStore = await platform.eventStore();
  await platform.publish(service, store);
  return {
    append: (stream: string, type: string, data: JsonObject) =>
      store.append(
        stream,
        [
          {
            type,
            schemaVersion: 1,
            data,
            metadata: {
              actor: { organisationId: 'org-ngo', principalId: 'key_ngo' },
              correlationId: stream,
            },
          },
        ],
        { expectedVersion: 'any' },
      ),
    close: () => platform.close(),
  };
}

const circumstances = {
  profile: 'PROFILE_JOURNALIST',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  vulnerabilities: {},
  capacities: {},
};
/** 2 × 1.5 × 1.1 × 1.5 = 4.95 on the day it is assessed: medium. */
const surveillance = {
  kind: 'THREAT_KIND_SURVEILLANCE',
  occurredOn: new Date().toISOString().slice(0, 10),
  source: 'THREAT_SOURCE_STATE_ACTOR',
  objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
  feasibility: 'FEASIBILITY_MEDIUM',
  declared: true,
};
const deathThreat = {
  ...surveillance,
  kind: 'THREAT_KIND_DEATH_THREAT',
  source: 'THREAT_SOURCE_ARMED_GROUP',
  objective: 'THREAT_OBJECTIVE_PUNISH',
  feasibility: 'FEASIBILITY_HIGH',
};

function riskAssessmentOverGrpc(mode: Mode): void {
  const dir = mkdtempSync(join(tmpdir(), 'aman-risk-'));
  const keys = join(dir, 'keys');
  let service: Running;
  let intake: Awaited<ReturnType<typeof producer>>;
  let accountability: Awaited<ReturnType<typeof producer>>;
  let observer: Platform;
  const published: ConsumedEvent[] = [];
  let fromIntake: ServiceClient<risk.RiskAssessmentServiceClient>;
  let fromGateway: ServiceClient<risk.RiskAssessmentServiceClient>;

  const client = async (name: string, port: number) =>
    new ServiceClient({
      audience: 'risk-assessment',
      address: `127.0.0.1:${port}`,
      client: risk.RiskAssessmentServiceClient,
      identity: await ServiceIdentity.load(name, keys),
      deadlineMs: 20_000,
    });

  const history = async (caseId: string, principal: Principal = ngo) =>
    fromGateway.call('getAssessmentHistory', { caseId }, { principal });

  /** The history once it has `count` assessments. */
  const assessments = (caseId: string, count: number) =>
    eventually(
      `${count} assessments of ${caseId}`,
      async () => {
        const found = await history(caseId).catch(() => undefined);
        return found !== undefined && found.entries.length >= count ? found : undefined;
      },
      60_000,
    );

  const triage = (caseId: string, facts: JsonObject) =>
    fromIntake.call(
      'assessCase',
      { caseId, facts: risk.CaseFacts.fromJSON(facts) },
      { principal: ngo },
    );

  const submitted = (caseId: string, facts: JsonObject) =>
    intake.append(`case-${caseId}`, 'CaseSubmitted', {
      caseId,
      organisationId: 'org-ngo',
      province: 'AF-HER',
      needs: ['NEED_RELOCATION_ABROAD'],
      submittedAt: new Date().toISOString(),
      ...facts,
    });

  const threatReported = (caseId: string, threat: JsonObject) =>
    intake.append(`case-${caseId}`, 'ThreatReported', {
      caseId,
      organisationId: 'org-ngo',
      threat,
      reportedAt: new Date().toISOString(),
    });

  beforeAll(async () => {
    service = await startService(mode, keys, DEFAULT_POLICY);
    intake = await producer(mode, 'intake');
    accountability = await producer(mode, 'accountability');
    // Another context reading aman.risk.v1, as referral and projections do.
    observer = new Platform(mode.platform(), 'projections', logger);
    await observer.subscribe('risk-observer', ['risk'], async (event) => {
      published.push(event);
    });
    fromIntake = await client('intake', service.port);
    fromGateway = await client('gateway', service.port);
  }, 120_000);

  afterAll(async () => {
    fromIntake.close();
    fromGateway.close();
    await observer.close();
    await intake.close();
    await accountability.close();
    await service.stop();
    await mode.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('triages a case for intake: level, deadlines, next date, methodology; the consumed submission adds nothing', async () => {
    const caseId = `case-triage-${mode.name}`;
    const facts = { ...circumstances, threats: [surveillance] };
    const { assessment } = await triage(caseId, facts);
    expect(assessment).toMatchObject({
      caseId,
      level: common.RiskLevel.RISK_LEVEL_MEDIUM,
      score: 4.95,
      methodologyVersion: 'aman-risk-v2',
      deadlineClass: common.DeadlineClass.DEADLINE_CLASS_URGENT,
      acknowledgeWithinSeconds: 72 * 3600,
      decideWithinSeconds: 3 * 72 * 3600,
      trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_SUBMISSION,
      sequence: 1,
      overridden: false,
    });
    const next = assessment!.nextReassessmentAt!.getTime() - assessment!.assessedAt!.getTime();
    expect(next).toBe(30 * 86_400_000);
    // The same call again decides nothing and answers the same assessment.
    expect((await triage(caseId, facts)).assessment?.sequence).toBe(1);
    // The consumed submission with the same facts decides nothing either: the threat reported
    // after it (same stream, so consumed after it) is the second assessment, not the third.
    await submitted(caseId, facts);
    await threatReported(caseId, deathThreat);
    const { entries } = await assessments(caseId, 2);
    expect(entries.map((entry) => entry.assessment?.trigger)).toEqual([
      risk.AssessmentTrigger.ASSESSMENT_TRIGGER_SUBMISSION,
      risk.AssessmentTrigger.ASSESSMENT_TRIGGER_THREAT_REPORTED,
    ]);
  });

  it('raises a case’s level when intake reports a new threat, and publishes it on aman.risk.v1', async () => {
    const caseId = `case-threat-${mode.name}`;
    await submitted(caseId, { ...circumstances, threats: [surveillance] });
    const [first] = (await assessments(caseId, 1)).entries;
    expect(first?.assessment?.level).toBe(common.RiskLevel.RISK_LEVEL_MEDIUM);
    await threatReported(caseId, deathThreat);
    const [, second] = (await assessments(caseId, 2)).entries;
    expect(second?.assessment).toMatchObject({
      level: common.RiskLevel.RISK_LEVEL_CRITICAL,
      deadlineClass: common.DeadlineClass.DEADLINE_CLASS_CRITICAL,
      acknowledgeWithinSeconds: 4 * 3600,
      trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_THREAT_REPORTED,
      sequence: 2,
    });
    const seen = await eventually('the critical level on aman.risk.v1', () =>
      published.find((event) => event.data['caseId'] === caseId && event.data['sequence'] === 2),
    );
    expect(seen.data).toMatchObject({
      level: 'RISK_LEVEL_CRITICAL',
      organisationId: 'org-ngo',
      deadlineClass: 'DEADLINE_CLASS_CRITICAL',
      decideWithinSeconds: 12 * 3600,
    });
    // Its next re-assessment waits in the timer store: critical, in 7 days.
    const timerId = reassessmentTimerId(caseId, 2);
    await eventually('the re-assessment timer', async () =>
      (await service.timers.due(new Date(Date.now() + 8 * 86_400_000), 1000)).includes(timerId),
    );
  });

  it('re-assesses on corrected facts and on an incident recorded by accountability', async () => {
    const caseId = `case-facts-${mode.name}`;
    await submitted(caseId, { ...circumstances, threats: [surveillance] });
    await assessments(caseId, 1);
    await intake.append(`case-${caseId}`, 'CaseFactsUpdated', {
      caseId,
      organisationId: 'org-ngo',
      ...circumstances,
      capacities: { supportNetwork: true },
      province: 'AF-HER',
      needs: [],
      updatedAt: new Date().toISOString(),
    });
    const [, updated] = (await assessments(caseId, 2)).entries;
    expect(updated?.assessment).toMatchObject({
      trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_FACTS_UPDATED,
      level: common.RiskLevel.RISK_LEVEL_LOW,
      score: 3.81,
    });
    expect(updated?.assessment?.factors).toContain(
      'lowers the risk: a support network that can act at short notice',
    );
    await accountability.append('incident-inc-1', 'IncidentRecorded', {
      incidentId: `inc-${mode.name}`,
      caseId,
      act: 'ACT_ATTEMPTED_KILLING',
      occurredOn: new Date().toISOString().slice(0, 10),
      province: 'AF-HER',
      perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
      sourceType: 'SOURCE_TYPE_WITNESS',
      recordedByOrganisationId: 'org-monitor',
      recordedAt: new Date().toISOString(),
    });
    const [, , afterIncident] = (await assessments(caseId, 3)).entries;
    expect(afterIncident?.assessment).toMatchObject({
      trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_INCIDENT,
      level: common.RiskLevel.RISK_LEVEL_CRITICAL,
    });
  });

  it('lets the case’s NGO override the level through the gateway; the justification stays inside', async () => {
    const caseId = `case-override-${mode.name}`;
    await triage(caseId, { ...circumstances, threats: [surveillance] });
    const request = risk.OverrideAssessmentRequest.fromJSON({
      caseId,
      level: 'RISK_LEVEL_HIGH',
      justification: CANARY,
      idempotencyKey: 'ovr-0001',
      expectedSequence: 1,
    });
    const { assessment } = await fromGateway.call('overrideAssessment', request, {
      principal: ngo,
    });
    expect(assessment).toMatchObject({
      level: common.RiskLevel.RISK_LEVEL_HIGH,
      computedLevel: common.RiskLevel.RISK_LEVEL_MEDIUM,
      overridden: true,
      deadlineClass: common.DeadlineClass.DEADLINE_CLASS_EMERGENCY,
      trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_OVERRIDE,
      sequence: 2,
    });
    // A retry answers the same; the key for another override is refused.
    const again = await fromGateway.call('overrideAssessment', request, { principal: ngo });
    expect(again.assessment?.sequence).toBe(2);
    await expectAmanError(
      fromGateway.call(
        'overrideAssessment',
        { ...request, level: common.RiskLevel.RISK_LEVEL_LOW },
        { principal: ngo },
      ),
      'AMAN_ERR_IDEMPOTENCY_CONFLICT',
    );
    // Overriding what the assessor has not seen is refused.
    await expectAmanError(
      fromGateway.call(
        'overrideAssessment',
        { ...request, idempotencyKey: 'ovr-0002' },
        { principal: ngo },
      ),
      'AMAN_ERR_ILLEGAL_STATE',
    );
    // Another NGO, a provider, an unauthenticated call, intake itself: nothing.
    await expectAmanError(
      fromGateway.call(
        'overrideAssessment',
        { ...request, idempotencyKey: 'ovr-0003' },
        { principal: otherNgo },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(history(caseId, otherNgo), 'AMAN_ERR_NOT_FOUND');
    await expectAmanError(
      fromGateway.call('overrideAssessment', request, { principal: provider }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      fromGateway.call('getAssessmentHistory', { caseId }),
      'AMAN_ERR_UNAUTHENTICATED',
    );
    await expectAmanError(
      fromIntake.call('overrideAssessment', request, { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
    const error = await expectAmanError(
      fromGateway.call(
        'overrideAssessment',
        { ...request, idempotencyKey: 'ovr-0004', justification: `${CANARY} ${'x'.repeat(2000)}` },
        { principal: ngo },
      ),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).not.toContain('Canary');

    const { entries, status } = await history(caseId);
    expect(status).toBe(risk.ReassessmentStatus.REASSESSMENT_STATUS_ACTIVE);
    expect(entries.map((entry) => [entry.assessment?.sequence, entry.assessment?.level])).toEqual([
      [1, common.RiskLevel.RISK_LEVEL_MEDIUM],
      [2, common.RiskLevel.RISK_LEVEL_HIGH],
    ]);
    expect(entries[1]?.override).toMatchObject({
      level: common.RiskLevel.RISK_LEVEL_HIGH,
      computedLevel: common.RiskLevel.RISK_LEVEL_MEDIUM,
      justification: CANARY,
      justificationWithheld: false,
      organisationId: 'org-ngo',
      principalId: 'key_ngo',
    });
    expect(entries[1]?.override?.overriddenAt).toBeInstanceOf(Date);
    // On the topic: the overridden level, never the justification.
    const seen = await eventually('the override on aman.risk.v1', () =>
      published.find((event) => event.data['caseId'] === caseId && event.data['sequence'] === 2),
    );
    expect(seen.data).toMatchObject({ level: 'RISK_LEVEL_HIGH', overridden: true });
    expect(JSON.stringify(published)).not.toContain('Canary');
  });

  it('stops re-assessing a withdrawn case, cancels its timer, and withholds justifications once erased', async () => {
    const caseId = `case-withdrawn-${mode.name}`;
    await submitted(caseId, { ...circumstances, threats: [surveillance] });
    await assessments(caseId, 1);
    const timerId = reassessmentTimerId(caseId, 1);
    const inAMonth = () => new Date(Date.now() + 31 * 86_400_000);
    await eventually('the re-assessment timer', async () =>
      (await service.timers.due(inAMonth(), 1000)).includes(timerId),
    );
    await fromGateway.call(
      'overrideAssessment',
      {
        caseId,
        level: common.RiskLevel.RISK_LEVEL_HIGH,
        justification: CANARY,
        idempotencyKey: 'ovr-w',
        expectedSequence: 0,
      },
      { principal: ngo },
    );
    await intake.append(`case-${caseId}`, 'CaseWithdrawn', {
      caseId,
      organisationId: 'org-ngo',
      reason: 'WITHDRAWAL_REASON_SAFE',
      withdrawnAt: new Date().toISOString(),
    });
    await threatReported(caseId, deathThreat);
    await intake.append(`case-${caseId}`, 'CaseErased', {
      caseId,
      organisationId: 'org-ngo',
      erasedAt: new Date().toISOString(),
    });
    const erased = await eventually('the erasure applied', async () => {
      const found = await history(caseId);
      return found.status === risk.ReassessmentStatus.REASSESSMENT_STATUS_STOPPED_CASE_ERASED
        ? found
        : undefined;
    });
    // The threat reported after the withdrawal was not assessed.
    expect(erased.entries.map((entry) => entry.assessment?.trigger)).toEqual([
      risk.AssessmentTrigger.ASSESSMENT_TRIGGER_SUBMISSION,
      risk.AssessmentTrigger.ASSESSMENT_TRIGGER_OVERRIDE,
    ]);
    expect(erased.entries[1]?.override).toMatchObject({
      justification: '',
      justificationWithheld: true,
    });
    await eventually('the timers cancelled', async () => {
      const due = await service.timers.due(inAMonth(), 1000);
      return !due.includes(timerId) && !due.includes(reassessmentTimerId(caseId, 2));
    });
    await expectAmanError(
      fromGateway.call(
        'overrideAssessment',
        {
          caseId,
          level: common.RiskLevel.RISK_LEVEL_LOW,
          justification: 'safe now',
          idempotencyKey: 'ovr-w2',
          expectedSequence: 0,
        },
        { principal: ngo },
      ),
      'AMAN_ERR_ILLEGAL_STATE',
    );
  });
}

/** A restart across a due time: the re-assessment happens once, after the restart. */
function reassessmentAcrossRestart(mode: Mode): void {
  const dir = mkdtempSync(join(tmpdir(), 'aman-risk-restart-'));
  const keys = join(dir, 'keys');

  afterAll(async () => {
    await mode.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('re-assesses a case exactly once when its due time passed while the service was down', async () => {
    const everyFewSeconds: AssessmentPolicy = {
      ...DEFAULT_POLICY,
      reassessAfter: {
        RISK_LEVEL_CRITICAL: 4,
        RISK_LEVEL_HIGH: 4,
        RISK_LEVEL_MEDIUM: 4,
        RISK_LEVEL_LOW: 4,
      },
    };
    const caseId = `case-restart-${mode.name}`;
    let service = await startService(mode, keys, everyFewSeconds);
    const clientFor = async (name: string, port: number) =>
      new ServiceClient({
        audience: 'risk-assessment',
        address: `127.0.0.1:${port}`,
        client: risk.RiskAssessmentServiceClient,
        identity: await ServiceIdentity.load(name, keys),
        deadlineMs: 20_000,
      });
    const intakeClient = await clientFor('intake', service.port);
    const { assessment } = await intakeClient.call(
      'assessCase',
      { caseId, facts: risk.CaseFacts.fromJSON({ ...circumstances, threats: [surveillance] }) },
      { principal: ngo },
    );
    intakeClient.close();
    expect(assessment?.sequence).toBe(1);
    const dueAt = assessment!.nextReassessmentAt!.getTime();
    const timerId = reassessmentTimerId(caseId, 1);
    await eventually(
      'the re-assessment timer',
      async () => (await service.timers.due(new Date(dueAt + 60_000), 1000)).includes(timerId),
      60_000,
    );
    await service.stop();
    // Down across the due time.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now()) + 1500));

    // Back with a long interval, so the re-assessment it makes schedules nothing due soon.
    service = await startService(mode, keys, DEFAULT_POLICY);
    const gateway = await clientFor('gateway', service.port);
    try {
      const after = await eventually(
        'the scheduled re-assessment',
        async () => {
          const found = await gateway.call('getAssessmentHistory', { caseId }, { principal: ngo });
          return found.entries.length >= 2 ? found : undefined;
        },
        60_000,
      );
      expect(after.entries[1]?.assessment).toMatchObject({
        trigger: risk.AssessmentTrigger.ASSESSMENT_TRIGGER_SCHEDULE,
        sequence: 2,
      });
      expect(after.entries[1]!.assessment!.assessedAt!.getTime()).toBeGreaterThan(dueAt);
      // Several polls later, still once.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const settled = await gateway.call('getAssessmentHistory', { caseId }, { principal: ngo });
      expect(
        settled.entries.filter(
          (entry) =>
            entry.assessment?.trigger === risk.AssessmentTrigger.ASSESSMENT_TRIGGER_SCHEDULE,
        ),
      ).toHaveLength(1);
      expect(await service.timers.due(new Date(dueAt + 60_000), 1000)).not.toContain(timerId);
    } finally {
      gateway.close();
      await service.stop();
    }
  }, 180_000);
}

const embedded = (): Mode => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-risk-embedded-'));
  return {
    name: 'embedded',
    platform: () => ({ mode: 'embedded', dataDir: dir }),
    openTimers: async () => {
      const timers = new SqliteTimerStore({ path: join(dir, 'risk-assessment.timers.db') });
      return { timers, close: () => timers.close() };
    },
    cleanUp: async () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const distributed = (
  kafka: { brokers: string[]; namespace: string },
  mongo: { uri: string; database: string },
): Mode => {
  const prefix = mongo.database;
  return {
    name: 'distributed',
    platform: () => ({
      mode: 'distributed',
      mongoUri: mongo.uri,
      kafkaBrokers: kafka.brokers,
      databasePrefix: prefix,
      topicPrefix: `${kafka.namespace}.`,
    }),
    openTimers: async () => {
      const client = new MongoClient(mongo.uri);
      await client.connect();
      const timers = await MongoTimerStore.open({ client, database: `${prefix}_risk_assessment` });
      return {
        timers,
        close: async () => {
          await timers.close();
          await client.close();
        },
      };
    },
    cleanUp: async () => {
      const client = new MongoClient(mongo.uri);
      await client.connect();
      try {
        for (const service of ['risk_assessment', 'intake', 'accountability', 'projections']) {
          await client.db(`${prefix}_${service}`).dropDatabase();
        }
      } finally {
        await client.close();
      }
    },
  };
};

describe('risk assessment over gRPC, embedded (SQLite)', () => {
  riskAssessmentOverGrpc(embedded());
  describe('across a restart', () => {
    reassessmentAcrossRestart(embedded());
  });
});

describeWithKafka('risk assessment over gRPC, distributed', (kafka) => {
  describeWithMongo('MongoDB and Kafka', (mongo) => {
    riskAssessmentOverGrpc(distributed(kafka, mongo));
  });
});

describeWithKafka('risk assessment across a restart, distributed', (kafka) => {
  describeWithMongo('MongoDB and Kafka', (mongo) => {
    reassessmentAcrossRestart(distributed(kafka, mongo));
  });
});

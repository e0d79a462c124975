import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { common, projections, referral } from '@aman/contracts';
import { AmanError } from '@aman/errors';
import { SqliteCheckpointStore, SqliteEventStore, type JsonObject } from '@aman/eventstore';
import {
  CONTEXTS,
  Platform,
  ServiceClient,
  ServiceIdentity,
  createLogger,
  startGrpcServer,
  type GrpcServer,
  type Principal,
} from '@aman/service-kit';
import { eventually, expectAmanError } from '@aman/testing';

import { consumeIntoReadModels, type ReadModels } from './consumer.ts';
import { PROJECTIONS_SERVICE, projectionsServer } from './grpcServer.ts';

const principal = (organisationId: string, type: Principal['organisationType']): Principal => ({
  organisationId,
  organisationType: type,
  keyId: `key_${organisationId}`,
});
const ngo = principal('org-ngo', 'ngo');
const otherNgo = principal('org-other-ngo', 'ngo');
const embassy = principal('org-embassy', 'provider');
const legal = principal('org-legal', 'provider');
const monitor = principal('org-monitor', 'monitor');

const caseId = '0195a1c2-7f00-7000-8000-0000000ca5e1';
const embassyReferral = '0195a1c2-7f00-7000-8000-00000000e1b1';
const legalReferral = '0195a1c2-7f00-7000-8000-000000001e6a';
const neverSubmitted = '0195a1c2-7f00-7000-8000-00000000dead';

const at = {
  submitted: '2026-11-02T10:00:00.000Z',
  triaged: '2026-11-02T10:00:00.400Z',
  routed: '2026-11-02T10:00:01.000Z',
  routedToLegal: '2026-11-02T10:00:01.004Z',
  delivered: '2026-11-02T10:00:01.300Z',
  acknowledged: '2026-11-02T11:00:00.000Z',
  accepted: '2026-11-03T09:30:00.000Z',
  respondBy: '2026-11-05T10:00:01.000Z',
  incident: '2026-11-04T08:00:00.000Z',
  reassessed: '2026-11-04T08:00:00.200Z',
};

/** An event as its producing service stores it: protobuf JSON data and an actor. */
const event = (type: string, data: JsonObject, actor: string) => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { actor: { organisationId: actor, principalId: actor }, correlationId: caseId },
});

const routed = (referralId: string, provider: string, routedAt: string) =>
  event(
    'ReferralRouted',
    {
      referralId,
      caseId,
      providerOrganisationId: provider,
      organisationId: ngo.organisationId,
      recipientType: 'RECIPIENT_TYPE_EMBASSY',
      reasons: ['serves NEED_RELOCATION_ABROAD'],
      deadlineClass: 'DEADLINE_CLASS_URGENT',
      respondBy: at.respondBy,
      routedAt,
    },
    'referral',
  );
const statusChanged = (status: string, changedAt: string) =>
  event(
    'ReferralStatusChanged',
    {
      referralId: embassyReferral,
      caseId,
      providerOrganisationId: embassy.organisationId,
      organisationId: ngo.organisationId,
      status,
      changedAt,
    },
    'referral',
  );
const riskAssessed = (level: string, factors: string[], assessedAt: string, trigger: string) =>
  event(
    'RiskAssessed',
    {
      caseId,
      level,
      score: 4.5,
      factors,
      methodologyVersion: 'aman-risk-v1',
      deadlineClass: 'DEADLINE_CLASS_URGENT',
      assessedAt,
      trigger,
      organisationId: ngo.organisationId,
    },
    'risk-assessment',
  );
const incidentRecorded = (incidentId: string, about: string) =>
  event(
    'IncidentRecorded',
    {
      incidentId,
      caseId: about,
      act: 'ACT_ATTEMPTED_KILLING',
      occurredOn: '2026-11-03',
      province: 'AF-HER',
      perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
      sourceType: 'SOURCE_TYPE_NGO',
      recordedByOrganisationId: monitor.organisationId,
      recordedAt: at.incident,
    },
    monitor.organisationId,
  );

describe('projections over gRPC with the embedded platform', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-projections-'));
  const logger = createLogger('projections-test', 'silent');
  let platform: Platform;
  let readModels: ReadModels;
  let server: GrpcServer;
  let gateway: ServiceClient<projections.ProjectionsServiceClient>;
  let intakeService: ServiceClient<projections.ProjectionsServiceClient>;
  // The producers' stores, at the paths the embedded bus tails.
  const stores = {
    intake: new SqliteEventStore({ path: join(dir, 'intake.events.db') }),
    risk: new SqliteEventStore({ path: join(dir, 'risk-assessment.events.db') }),
    referral: new SqliteEventStore({ path: join(dir, 'referral.events.db') }),
    accountability: new SqliteEventStore({ path: join(dir, 'accountability.events.db') }),
  };

  beforeAll(async () => {
    const keys = join(dir, 'keys');
    platform = new Platform({ mode: 'embedded', dataDir: dir }, 'projections', logger);
    readModels = await consumeIntoReadModels(platform);
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: PROJECTIONS_SERVICE,
          definition: projections.ProjectionsServiceService,
          implementation: projectionsServer({
            // Through the variable: the last test restarts the consumers under the same server.
            cases: () => readModels.cases(),
            inbox: () => readModels.inbox(),
            facts: () => readModels.facts(),
            minCell: 5,
            identity: await ServiceIdentity.load('projections', keys),
            logger,
          }),
        },
      ],
    });
    const client = async (name: string) =>
      new ServiceClient({
        audience: 'projections',
        address: `127.0.0.1:${server.port}`,
        client: projections.ProjectionsServiceClient,
        identity: await ServiceIdentity.load(name, keys),
      });
    gateway = await client('gateway');
    intakeService = await client('intake');
  });

  afterAll(async () => {
    // As main.ts stops: the server, then the consumers, then the stores.
    gateway.close();
    intakeService.close();
    await server.stop();
    await readModels.stop();
    await platform.close();
    for (const store of Object.values(stores)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const getCase = (id: string, as: Principal) =>
    gateway.call('getCase', { caseId: id }, { principal: as });
  /** The case as the NGO sees it, undefined while it is not there yet. */
  const caseSeenBy = async (as: Principal) => {
    try {
      return (await getCase(caseId, as)).case;
    } catch (error) {
      if (AmanError.is(error) && error.code === 'AMAN_ERR_NOT_FOUND') return undefined;
      throw error;
    }
  };
  const listCases = (as: Principal) =>
    gateway.call('listCases', { limit: 0, cursor: '' }, { principal: as });
  const listInbox = (as: Principal) =>
    gateway.call('listInbox', { limit: 0, cursor: '' }, { principal: as });

  it('folds referral events that arrive before their case, then the case, its risk and incidents', async () => {
    // The referral context first: its events reach the projections before the submission does.
    await stores.referral.append(
      `referral-${embassyReferral}`,
      [
        routed(embassyReferral, embassy.organisationId, at.routed),
        statusChanged('REFERRAL_STATUS_DELIVERED', at.delivered),
        statusChanged('REFERRAL_STATUS_ACKNOWLEDGED', at.acknowledged),
        statusChanged('REFERRAL_STATUS_ACCEPTED', at.accepted),
      ],
      { expectedVersion: 'no_stream' },
    );
    await stores.referral.append(
      `referral-${legalReferral}`,
      [routed(legalReferral, legal.organisationId, at.routedToLegal)],
      { expectedVersion: 'no_stream' },
    );
    const early = await eventually('the routed referrals in the case view', async () => {
      const found = await caseSeenBy(ngo);
      return found?.referrals.length === 2 ? found : undefined;
    });
    expect(early.stages).toEqual([]);

    await stores.intake.append(
      `case-${caseId}`,
      [
        event(
          'CaseSubmitted',
          {
            caseId,
            organisationId: ngo.organisationId,
            profile: 'PROFILE_JOURNALIST',
            gender: 'GENDER_WOMAN',
            province: 'AF-HER',
            outsideCapital: true,
            submittedAt: at.submitted,
          },
          ngo.organisationId,
        ),
      ],
      { expectedVersion: 'no_stream' },
    );
    await stores.risk.append(
      `assessment-${caseId}`,
      [
        riskAssessed(
          'RISK_LEVEL_MEDIUM',
          ['death threat by an armed or state actor'],
          at.triaged,
          'ASSESSMENT_TRIGGER_SUBMISSION',
        ),
      ],
      { expectedVersion: 'any' },
    );
    await stores.accountability.append('incident-inc-1', [incidentRecorded('inc-1', caseId)], {
      expectedVersion: 'no_stream',
    });
    // An incident about a case no NGO has submitted: a view of no organisation, seen by nobody.
    await stores.accountability.append(
      'incident-inc-2',
      [incidentRecorded('inc-2', neverSubmitted)],
      { expectedVersion: 'no_stream' },
    );
    await stores.risk.append(
      `assessment-${caseId}`,
      [
        riskAssessed(
          'RISK_LEVEL_CRITICAL',
          ['death threat by an armed or state actor', 'attempted killing'],
          at.reassessed,
          'ASSESSMENT_TRIGGER_INCIDENT',
        ),
      ],
      { expectedVersion: 'any' },
    );

    const view = await eventually('the whole case view', async () => {
      const found = await caseSeenBy(ngo);
      return found?.incidents === 1 && found.stages.length === 3 ? found : undefined;
    });
    expect(view).toEqual({
      caseId,
      riskLevel: common.RiskLevel.RISK_LEVEL_CRITICAL,
      riskFactors: ['death threat by an armed or state actor', 'attempted killing'],
      stages: [
        { name: 'submitted', at: new Date(at.submitted) },
        { name: 'triaged', at: new Date(at.triaged) },
        { name: 're-assessed', at: new Date(at.reassessed) },
      ],
      referrals: [
        {
          referralId: embassyReferral,
          providerOrganisationId: embassy.organisationId,
          status: referral.ReferralStatus.REFERRAL_STATUS_ACCEPTED,
          stages: [
            { name: 'routed', at: new Date(at.routed) },
            { name: 'delivered', at: new Date(at.delivered) },
            { name: 'acknowledged', at: new Date(at.acknowledged) },
            { name: 'accepted', at: new Date(at.accepted) },
          ],
          respondBy: new Date(at.respondBy),
        },
        {
          referralId: legalReferral,
          providerOrganisationId: legal.organisationId,
          status: referral.ReferralStatus.REFERRAL_STATUS_ROUTED,
          stages: [{ name: 'routed', at: new Date(at.routedToLegal) }],
          respondBy: new Date(at.respondBy),
        },
      ],
      incidents: 1,
    });
    expect((await listCases(ngo)).cases).toEqual([view]);
  });

  it('gives another NGO nothing: the case is not found, exactly like a missing one, and its list is empty', async () => {
    const foreign = await expectAmanError(getCase(caseId, otherNgo), 'AMAN_ERR_NOT_FOUND');
    const missing = await expectAmanError(
      getCase('0195a1c2-7f00-7000-8000-00000000beef', otherNgo),
      'AMAN_ERR_NOT_FOUND',
    );
    expect(foreign.message).toBe(missing.message);
    expect((await listCases(otherNgo)).cases).toEqual([]);
    // The view of the case nobody submitted exists, but no organisation sees it.
    await expectAmanError(getCase(neverSubmitted, ngo), 'AMAN_ERR_NOT_FOUND');
    expect((await listCases(ngo)).cases.map((item) => item.caseId)).toEqual([caseId]);
  });

  it('gives each provider an inbox of its own referrals only', async () => {
    const embassyInbox = await eventually('the accepted referral in the inbox', async () => {
      const { items } = await listInbox(embassy);
      return items[0]?.status === referral.ReferralStatus.REFERRAL_STATUS_ACCEPTED
        ? items
        : undefined;
    });
    expect(embassyInbox).toEqual([
      {
        referralId: embassyReferral,
        caseId,
        status: referral.ReferralStatus.REFERRAL_STATUS_ACCEPTED,
        deadlineClass: common.DeadlineClass.DEADLINE_CLASS_URGENT,
        respondBy: new Date(at.respondBy),
        routedAt: new Date(at.routed),
      },
    ]);
    expect((await listInbox(legal)).items.map((item) => item.referralId)).toEqual([legalReferral]);
    expect((await listInbox(principal('org-shelter', 'provider'))).items).toEqual([]);
  });

  it('refuses other organisation types, calls for no organisation and services other than the gateway', async () => {
    for (const attempt of [getCase(caseId, monitor), listCases(monitor), listInbox(monitor)]) {
      await expectAmanError(attempt, 'AMAN_ERR_FORBIDDEN');
    }
    await expectAmanError(listCases(embassy), 'AMAN_ERR_FORBIDDEN');
    await expectAmanError(getCase(caseId, embassy), 'AMAN_ERR_FORBIDDEN');
    await expectAmanError(listInbox(ngo), 'AMAN_ERR_FORBIDDEN');
    await expectAmanError(
      gateway.call('listCases', { limit: 0, cursor: '' }),
      'AMAN_ERR_UNAUTHENTICATED',
    );
    await expectAmanError(
      intakeService.call('getCase', { caseId }, { principal: ngo }),
      'AMAN_ERR_FORBIDDEN',
    );
  });

  it('applies nothing twice when the bus delivers every event again after a restart', async () => {
    const caseBefore = await caseSeenBy(ngo);
    const inboxBefore = (await listInbox(embassy)).items;
    expect(caseBefore?.incidents).toBe(1);

    // The consumers stop and lose every bus checkpoint, as if each event had been applied and
    // never acknowledged: on restart the bus delivers the whole log again.
    await readModels.stop();
    await platform.close();
    for (const file of readdirSync(dir).filter((name) => name.startsWith('projections.bus.db'))) {
      rmSync(join(dir, file));
    }
    platform = new Platform({ mode: 'embedded', dataDir: dir }, 'projections', logger);
    readModels = await consumeIntoReadModels(platform);

    const bus = new SqliteCheckpointStore({ path: join(dir, 'projections.bus.db') });
    const topics = [
      [CONTEXTS.intake.topic, stores.intake],
      [CONTEXTS.risk.topic, stores.risk],
      [CONTEXTS.referral.topic, stores.referral],
      [CONTEXTS.accountability.topic, stores.accountability],
    ] as const;
    try {
      await eventually('every event delivered again to both groups', async () => {
        for (const group of ['projections.ngo-cases-v1', 'projections.provider-inbox-v1']) {
          for (const [topic, store] of topics) {
            const delivered = await bus.load(`${group}:${topic}`);
            if (delivered < (await store.headPosition())) return undefined;
          }
        }
        return true;
      });
    } finally {
      await bus.close();
    }
    expect(await caseSeenBy(ngo)).toEqual(caseBefore);
    expect((await listInbox(embassy)).items).toEqual(inboxBefore);
  });
});

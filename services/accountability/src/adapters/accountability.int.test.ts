import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { accountability } from '@aman/contracts';
import { type EventStore } from '@aman/eventstore';
import {
  Platform,
  ServiceClient,
  codecsOf,
  ServiceIdentity,
  createLogger,
  idFrom,
  startGrpcServer,
  type GrpcServer,
  type Principal,
} from '@aman/service-kit';
import { expectAmanError } from '@aman/testing';

import { Incidents } from '../application/incidents.ts';
import { ACCOUNTABILITY_SERVICE, accountabilityServer } from './grpcServer.ts';

const monitor: Principal = {
  organisationId: 'org-monitor',
  organisationType: 'monitor',
  keyId: 'key_mon',
};
const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };

const report = (key: string, act = 'ACT_DEATH_THREAT') =>
  accountability.RecordIncidentRequest.fromJSON({
    idempotencyKey: key,
    caseId: '0195a1c2-7f00-7000-8000-00000000c0de',
    act,
    occurredOn: '2026-10-30',
    province: 'AF-HER',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    sourceType: 'SOURCE_TYPE_WITNESS',
  });

describe('accountability over gRPC, embedded store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-accountability-'));
  let platform: Platform;
  let store: EventStore;
  let server: GrpcServer;
  let gateway: ServiceClient<accountability.AccountabilityServiceClient>;
  let referral: ServiceClient<accountability.AccountabilityServiceClient>;

  beforeAll(async () => {
    const keys = join(dir, 'keys');
    const logger = createLogger('accountability', 'silent');
    platform = new Platform({ mode: 'embedded', dataDir: dir }, 'accountability', logger);
    store = await platform.eventStore();
    await platform.publish('accountability', store);
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: ACCOUNTABILITY_SERVICE,
          definition: accountability.AccountabilityServiceService,
          implementation: accountabilityServer({
            incidents: new Incidents(store),
            identity: await ServiceIdentity.load('accountability', keys),
            logger,
          }),
        },
      ],
    });
    const client = async (name: string) =>
      new ServiceClient({
        audience: 'accountability',
        address: `127.0.0.1:${server.port}`,
        client: accountability.AccountabilityServiceClient,
        identity: await ServiceIdentity.load(name, keys),
      });
    gateway = await client('gateway');
    referral = await client('referral');
  });

  afterAll(async () => {
    gateway.close();
    referral.close();
    await server.stop();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a monitor’s incident once per idempotency key', async () => {
    const first = await gateway.call('recordIncident', report('inc-0001'), { principal: monitor });
    expect(first.incidentId).toBe(idFrom('incident', monitor.organisationId, 'inc-0001'));
    const again = await gateway.call('recordIncident', report('inc-0001'), { principal: monitor });
    expect(again.incidentId).toBe(first.incidentId);

    const stream = await store.readStream(`incident-${first.incidentId}`);
    expect(stream.map((event) => event.type)).toEqual(['IncidentRecorded', 'IdempotencyKeyUsed']);
    expect(stream[0]).toMatchObject({
      data: {
        incidentId: first.incidentId,
        act: 'ACT_DEATH_THREAT',
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
        recordedByOrganisationId: monitor.organisationId,
      },
      metadata: {
        actor: { organisationId: monitor.organisationId, principalId: monitor.keyId },
        correlationId: '0195a1c2-7f00-7000-8000-00000000c0de',
      },
    });
    // What consumers (risk re-assessment, projections) will receive, and only the public event.
    const codecs = codecsOf('accountability');
    expect(codecs.decode(codecs.toBusMessage(stream[0]!))).toMatchObject({
      act: 'ACT_DEATH_THREAT',
    });
    expect(codecs.publishes('IdempotencyKeyUsed')).toBe(false);
  });

  it('refuses the same key for a different incident', async () => {
    await gateway.call('recordIncident', report('inc-0002'), { principal: monitor });
    await expectAmanError(
      gateway.call('recordIncident', report('inc-0002', 'ACT_ASSAULT'), { principal: monitor }),
      'AMAN_ERR_IDEMPOTENCY_CONFLICT',
    );
  });

  it('refuses an incident without an act, naming the field', async () => {
    const error = await expectAmanError(
      gateway.call('recordIncident', report('inc-0003', 'ACT_UNSPECIFIED'), {
        principal: monitor,
      }),
      'AMAN_ERR_VALIDATION',
    );
    expect(error.message).toContain('act');
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
    await expectAmanError(
      referral.call('recordIncident', report('inc-0004'), { principal: monitor }),
      'AMAN_ERR_FORBIDDEN',
    );
    expect(await store.headPosition()).toBe(before);
  });
});

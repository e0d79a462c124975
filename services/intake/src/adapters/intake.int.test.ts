import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { common, intake } from '@aman/contracts';
import { masterKeyFromBase64 } from '@aman/crypto';
import { UnavailableError } from '@aman/errors';
import { SqliteEventStore } from '@aman/eventstore';
import { SqliteReadModelStore } from '@aman/projections';
import {
  ServiceClient,
  ServiceIdentity,
  createLogger,
  startGrpcServer,
  type GrpcServer,
  type Principal,
} from '@aman/service-kit';
import { expectAmanError } from '@aman/testing';

import { IntakeCases } from '../application/intakeCases.ts';
import { DataKeyVault } from './dataKeyVault.ts';
import { INTAKE_SERVICE, intakeServer } from './grpcServer.ts';

const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const embassy: Principal = {
  organisationId: 'org-emb',
  organisationType: 'provider',
  keyId: 'key_e',
};
const canary = {
  fullName: 'Canary Zarbakht-Test',
  phone: '+93 799 123 456',
  place: 'Canaryvale 7',
};

describe('intake over gRPC, embedded stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-intake-'));
  let server: GrpcServer;
  let store: SqliteEventStore;
  let readModels: SqliteReadModelStore;
  let gateway: ServiceClient<intake.IntakeServiceClient>;
  let referral: ServiceClient<intake.IntakeServiceClient>;

  beforeAll(async () => {
    const keys = join(dir, 'keys');
    const identity = await ServiceIdentity.load('intake', keys);
    store = new SqliteEventStore({ path: join(dir, 'intake.events.db') });
    readModels = new SqliteReadModelStore({ path: join(dir, 'intake.readmodels.db') });
    const cases = new IntakeCases({
      store,
      vault: await DataKeyVault.open(readModels),
      master: masterKeyFromBase64('test-master', Buffer.alloc(32, 3).toString('base64')),
      triage: {
        assess: () =>
          Promise.reject(new UnavailableError('risk-assessment did not answer in time')),
      },
    });
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: INTAKE_SERVICE,
          definition: intake.IntakeServiceService,
          implementation: intakeServer({
            cases,
            identity,
            logger: createLogger('intake', 'silent'),
          }),
        },
      ],
    });
    const client = async (name: string) =>
      new ServiceClient({
        audience: 'intake',
        address: `127.0.0.1:${server.port}`,
        client: intake.IntakeServiceClient,
        identity: await ServiceIdentity.load(name, keys),
      });
    gateway = await client('gateway');
    referral = await client('referral');
  });

  afterAll(async () => {
    gateway.close();
    referral.close();
    await server.stop();
    await store.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const submission = (key: string) =>
    intake.SubmitCaseRequest.fromJSON({
      idempotencyKey: key,
      defender: canary,
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      province: 'AF-HER',
      outsideCapital: true,
      familyExposed: false,
      threats: [
        {
          fact: {
            kind: 'THREAT_KIND_DEATH_THREAT',
            occurredOn: '2026-11-01',
            byArmedOrStateActor: true,
          },
          narrative: 'Canary narrative of a threat',
        },
      ],
      needs: ['NEED_RELOCATION_ABROAD'],
      consent: {
        grants: [
          {
            recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
            fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
          },
        ],
        method: 'in person',
        obtainedAt: '2026-11-02T10:00:00Z',
      },
    });

  it('accepts a case with triage pending when risk does not answer, idempotent by key', async () => {
    const first = await gateway.call('submitCase', submission('key-0001'), { principal: ngo });
    expect(first.triageStatus).toBe(intake.TriageStatus.TRIAGE_STATUS_PENDING);
    const again = await gateway.call('submitCase', submission('key-0001'), { principal: ngo });
    expect(again.caseId).toBe(first.caseId);
    expect(await store.readStream(`case-${first.caseId}`)).toHaveLength(2);
  });

  it('stores no personal data in the clear', async () => {
    const everything = JSON.stringify(await store.readAll({ limit: 1000 }));
    for (const value of [...Object.values(canary), 'Canary narrative']) {
      expect(everything).not.toContain(value);
    }
  });

  it('releases to a consented provider only its field groups, decrypted, and audits it', async () => {
    const { caseId } = await gateway.call('submitCase', submission('key-0002'), { principal: ngo });
    const { packet } = await referral.call(
      'getReferralPacket',
      { caseId, referralId: 'ref-1', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
      { principal: embassy },
    );
    expect(packet).toMatchObject({ fullName: canary.fullName, phone: canary.phone });
    expect(packet?.place).toBeUndefined();
    expect(packet?.threatNarratives).toEqual([]);
    const stream = await store.readStream(`case-${caseId}`);
    expect(stream.at(-1)).toMatchObject({ type: 'PacketReleased', data: { referralId: 'ref-1' } });
  });

  it('gives a provider outside the consent nothing, and the gateway no packet at all', async () => {
    const { caseId } = await gateway.call('submitCase', submission('key-0003'), { principal: ngo });
    await expectAmanError(
      referral.call(
        'getReferralPacket',
        {
          caseId,
          referralId: 'r',
          recipientType: common.RecipientType.RECIPIENT_TYPE_SHELTER_NETWORK,
        },
        { principal: embassy },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
    await expectAmanError(
      gateway.call(
        'getReferralPacket',
        { caseId, referralId: 'r', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal: embassy },
      ),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      gateway.call('submitCase', submission('key-0004'), { principal: embassy }),
      'AMAN_ERR_FORBIDDEN',
    );
  });
});

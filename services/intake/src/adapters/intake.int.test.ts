import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { common, intake } from '@aman/contracts';
import {
  blindIndexKeyFromBase64,
  masterKeyFromBase64,
  open,
  unwrapDataKey,
  type WrappedDataKey,
} from '@aman/crypto';
import { UnavailableError } from '@aman/errors';
import { OutboxRelay, type BusMessage } from '@aman/messaging';
import type { EventStore } from '@aman/eventstore';
import {
  Platform,
  ServiceClient,
  codecsOf,
  ServiceIdentity,
  createLogger,
  startGrpcServer,
  type GrpcServer,
  type PlatformConfig,
  type Principal,
} from '@aman/service-kit';
import {
  describeWithMongo,
  dropMongoDatabases,
  expectAmanError,
  readMongoDatabases,
} from '@aman/testing';

import { AccessLog } from '../application/accessLog.ts';
import { DuplicateMatcher } from '../application/duplicates.ts';
import { IntakeCases, flagDuplicate, rewrapDataKeys } from '../application/intakeCases.ts';
import { sealedFieldName } from '../domain/index.ts';
import { DataKeyVault } from './dataKeyVault.ts';
import { INTAKE_SERVICE, intakeServer } from './grpcServer.ts';
import type { MasterKeyring } from './masterKeys.ts';

const ngo: Principal = { organisationId: 'org-ngo', organisationType: 'ngo', keyId: 'key_ngo' };
const otherNgo: Principal = {
  organisationId: 'org-ngo-2',
  organisationType: 'ngo',
  keyId: 'key_ngo2',
};
const embassy: Principal = {
  organisationId: 'org-emb',
  organisationType: 'provider',
  keyId: 'key_e',
};
const shelter: Principal = {
  organisationId: 'org-shelter',
  organisationType: 'provider',
  keyId: 'key_s',
};
/** Who the admin CLI acts as (services/gateway/src/admin.ts). */
const ADMIN: Principal = {
  organisationId: 'operator',
  organisationType: 'admin',
  keyId: 'admin-cli',
};
/** A synthetic person: these strings must never be found in the clear. */
const canary = {
  fullName: 'Canary Zarbakht-Test',
  phone: '+93 799 123 456',
  place: 'Canaryvale 7',
  dateOfBirth: '1990-04-12',
};
const CANARY_NARRATIVE = 'Canary narrative of a threat';

const masterKey = masterKeyFromBase64('test-master-1', Buffer.alloc(32, 3).toString('base64'));
const ring = (...keys: (typeof masterKey)[]): MasterKeyring => ({
  current: keys[0]!,
  byId: new Map(keys.map((key) => [key.id, key.key])),
});

function submission(key: string, grants?: unknown[]): intake.SubmitCaseRequest {
  return intake.SubmitCaseRequest.fromJSON({
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
          source: 'THREAT_SOURCE_ARMED_GROUP',
          objective: 'THREAT_OBJECTIVE_STOP_ACTIVITY',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
        },
        narrative: CANARY_NARRATIVE,
      },
    ],
    needs: ['NEED_RELOCATION_ABROAD'],
    vulnerabilities: { minority: true, publicVisibility: true },
    capacities: { supportNetwork: true },
    consent: {
      grants: grants ?? [
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
          fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
        },
        { providerIds: ['org-shelter'], fieldGroups: ['FIELD_GROUP_LOCATION'] },
      ],
      method: 'CONSENT_METHOD_IN_PERSON',
      obtainedAt: '2026-11-02T10:00:00Z',
    },
  });
}

/** A running intake over gRPC on the platform's real stores, in one mode. */
interface Harness {
  readonly platform: Platform;
  readonly store: EventStore;
  readonly vault: DataKeyVault;
  readonly duplicates: DuplicateMatcher;
  readonly gateway: ServiceClient<intake.IntakeServiceClient>;
  readonly referral: ServiceClient<intake.IntakeServiceClient>;
  readonly admin: ServiceClient<intake.IntakeServiceClient>;
  /** Restarts the service's application with another keyring (a rotation's deploy). */
  readonly restartWith: (keys: MasterKeyring) => Promise<void>;
  /** Every byte the service stored, as someone with the disk or the database would read it. */
  readonly rawStores: () => Promise<string>;
  readonly stop: () => Promise<void>;
}

async function startIntake(
  config: PlatformConfig,
  dir: string,
  raw: () => Promise<string>,
): Promise<Harness> {
  const logger = createLogger('intake', 'silent');
  const keysDir = join(dir, 'keys');
  const identity = await ServiceIdentity.load('intake', keysDir);
  const platform = new Platform(config, 'intake', logger);
  const store = await platform.eventStore();
  const vault = await DataKeyVault.open(await platform.vault());
  const triage = {
    assess: () => Promise.reject(new UnavailableError('risk-assessment did not answer in time')),
  };
  const readModels = await platform.readModels();
  const duplicates = await DuplicateMatcher.open({
    store: readModels,
    key: blindIndexKeyFromBase64('test-bi', Buffer.alloc(32, 8).toString('base64')),
    flag: (match, at) => flagDuplicate(store, match, at),
    logger,
    maxMatchesPerKeyPerHour: 3,
  });
  const access = await AccessLog.open({
    store,
    readModels,
    checkpoints: await platform.checkpoints(),
    logger,
  });
  let cases = new IntakeCases({ store, vault, keys: ring(masterKey), triage, duplicates, access });
  const implementation = intakeServer({
    // The application behind the running server is swapped by restartWith (a deploy with new keys).
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- see above
    cases: new Proxy({} as IntakeCases, {
      get: (_, property) => {
        const value = Reflect.get(cases, property) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(cases) : value;
      },
    }),
    access,
    identity,
    logger,
  });
  const server: GrpcServer = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    services: [{ name: INTAKE_SERVICE, definition: intake.IntakeServiceService, implementation }],
  });
  const client = async (name: string) =>
    new ServiceClient({
      audience: 'intake',
      address: `127.0.0.1:${server.port}`,
      client: intake.IntakeServiceClient,
      identity: await ServiceIdentity.load(name, keysDir),
    });
  const gateway = await client('gateway');
  const referral = await client('referral');
  const admin = await client('admin');
  return {
    platform,
    store,
    vault,
    duplicates,
    gateway,
    referral,
    admin,
    restartWith: (keys) => {
      cases = new IntakeCases({ store, vault, keys, triage, duplicates, access });
      return Promise.resolve();
    },
    rawStores: raw,
    stop: async () => {
      gateway.close();
      referral.close();
      admin.close();
      await server.stop();
      await platform.close();
    },
  };
}

const WRAPPED = /\{"masterKeyId":"[^"]+","nonce":"[^"]+","ciphertext":"[^"]+","tag":"[^"]+"\}/g;
const SEALED = /v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}/g;

/**
 * What an attacker with the raw stores and the master key alone can read of one case's name:
 * every wrapped key found in the bytes is tried with the master key for that case, and every
 * sealed value found is tried with every key recovered.
 */
function recoverNames(raw: string, caseId: string): string[] {
  const keys = (raw.match(WRAPPED) ?? []).flatMap((text) => {
    try {
      const wrapped = JSON.parse(text) as WrappedDataKey;
      return [unwrapDataKey(wrapped, new Map([[masterKey.id, masterKey.key]]), caseId)];
    } catch {
      return [];
    }
  });
  const names = new Set<string>();
  for (const sealed of raw.match(SEALED) ?? []) {
    for (const key of keys) {
      try {
        names.add(open(sealed, key, { caseId, field: sealedFieldName.fullName }));
      } catch {
        // Another field, or another key: not this name.
      }
    }
  }
  return [...names];
}

function intakeSuite(mode: string, start: () => Promise<Harness>): void {
  let h: Harness;

  beforeAll(async () => {
    h = await start();
  }, 60_000);

  afterAll(async () => {
    await h.stop();
  });

  it(`accepts a case with triage pending when risk does not answer, idempotent by key (${mode})`, async () => {
    const first = await h.gateway.call('submitCase', submission('key-0001'), { principal: ngo });
    expect(first.triageStatus).toBe(intake.TriageStatus.TRIAGE_STATUS_PENDING);
    const again = await h.gateway.call('submitCase', submission('key-0001'), { principal: ngo });
    expect(again.caseId).toBe(first.caseId);
    expect((await h.store.readStream(`case-${first.caseId}`)).map((e) => e.type)).toEqual([
      'CaseSubmitted',
      'PersonalDataSealed',
      'ConsentRecorded',
    ]);
  });

  it('stores no personal data in the clear', async () => {
    const everything = JSON.stringify(await h.store.readAll({ limit: 1000 }));
    for (const value of [...Object.values(canary), CANARY_NARRATIVE]) {
      expect(everything).not.toContain(value);
    }
    const raw = await h.rawStores();
    for (const value of [canary.fullName, canary.phone, CANARY_NARRATIVE]) {
      expect(raw).not.toContain(value);
    }
  });

  it('releases to a consented recipient only its field groups, decrypted, and audits it', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0002'), {
      principal: ngo,
    });
    const { packet } = await h.referral.call(
      'getReferralPacket',
      { caseId, referralId: 'ref-1', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
      { principal: embassy },
    );
    expect(packet).toMatchObject({ fullName: canary.fullName, phone: canary.phone });
    expect(packet?.place).toBeUndefined();
    expect(packet?.threatNarratives).toEqual([]);
    // A provider named in the consent gets its groups, whatever its type.
    const named = await h.referral.call(
      'getReferralPacket',
      { caseId, referralId: 'ref-2', recipientType: common.RecipientType.RECIPIENT_TYPE_MEDICAL },
      { principal: shelter },
    );
    expect(named.packet).toMatchObject({ place: canary.place, fieldGroups: [3] });
    const stream = await h.store.readStream(`case-${caseId}`);
    expect(stream.slice(-2)).toMatchObject([
      { type: 'PacketReleased', data: { referralId: 'ref-1', recipientOrganisationId: 'org-emb' } },
      {
        type: 'PacketReleased',
        data: { referralId: 'ref-2', fieldGroups: ['FIELD_GROUP_LOCATION'] },
      },
    ]);
  });

  it('gives a provider outside the consent nothing, audits the refusal, and the gateway no packet', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0003'), {
      principal: ngo,
    });
    await expectAmanError(
      h.referral.call(
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
    expect((await h.store.readStream(`case-${caseId}`)).at(-1)).toMatchObject({
      type: 'PacketRefused',
      data: { reason: 'no_consent', recipientOrganisationId: 'org-emb' },
    });
    await expectAmanError(
      h.gateway.call(
        'getReferralPacket',
        { caseId, referralId: 'r', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal: embassy },
      ),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      h.gateway.call('submitCase', submission('key-0004'), { principal: embassy }),
      'AMAN_ERR_FORBIDDEN',
    );
  });

  it('lets the NGO read, correct and follow its own case; another NGO sees nothing', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0005'), {
      principal: ngo,
    });
    const read = await h.gateway.call('getCase', { caseId }, { principal: ngo });
    expect(read.case).toMatchObject({
      caseId,
      status: intake.CaseStatus.CASE_STATUS_OPEN,
      defender: canary,
      threatNarratives: [CANARY_NARRATIVE],
      version: 3,
    });
    await expectAmanError(
      h.gateway.call('getCase', { caseId }, { principal: otherNgo }),
      'AMAN_ERR_NOT_FOUND',
    );
    const update = intake.UpdateCaseRequest.fromJSON({
      caseId,
      expectedVersion: 3,
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      province: 'AF-KAB',
      outsideCapital: false,
      familyExposed: true,
      needs: ['NEED_INTERNAL_RELOCATION'],
      vulnerabilities: { disability: true },
      capacities: {},
      defender: { ...canary, phone: '+93 700 000 111' },
    });
    expect((await h.gateway.call('updateCase', update, { principal: ngo })).version).toBe(5);
    // The same update on the version it read is stale now: nothing is overwritten unseen.
    await expectAmanError(
      h.gateway.call('updateCase', update, { principal: ngo }),
      'AMAN_ERR_CONCURRENCY',
    );
    const threat = intake.ReportThreatRequest.fromJSON({
      caseId,
      idempotencyKey: 'threat-1',
      threat: {
        fact: {
          kind: 'THREAT_KIND_HOUSE_SEARCH',
          occurredOn: '2026-11-20',
          source: 'THREAT_SOURCE_STATE_ACTOR',
          objective: 'THREAT_OBJECTIVE_PUNISH',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
        },
        narrative: 'Canary second narrative',
      },
    });
    expect((await h.gateway.call('reportThreat', threat, { principal: ngo })).version).toBe(7);
    expect((await h.gateway.call('reportThreat', threat, { principal: ngo })).version).toBe(7);
    const after = (await h.gateway.call('getCase', { caseId }, { principal: ngo })).case;
    expect(after).toMatchObject({
      province: 'AF-KAB',
      defender: { phone: '+93 700 000 111', fullName: canary.fullName },
      threatNarratives: [CANARY_NARRATIVE, 'Canary second narrative'],
    });
    expect(after?.threats).toHaveLength(2);
    expect(after?.vulnerabilities).toMatchObject({ disability: true, minority: false });
    await expectAmanError(
      h.gateway.call('reportThreat', { ...threat, caseId }, { principal: otherNgo }),
      'AMAN_ERR_NOT_FOUND',
    );
  });

  it('narrows consent: the provider that lost it gets nothing from then on', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0006'), {
      principal: ngo,
    });
    const fetch = () =>
      h.referral.call(
        'getReferralPacket',
        { caseId, referralId: 'r-6', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal: embassy },
      );
    await fetch();
    const narrowed = await h.gateway.call(
      'updateConsent',
      intake.UpdateConsentRequest.fromJSON({
        caseId,
        consent: {
          grants: [{ providerIds: ['org-shelter'], fieldGroups: ['FIELD_GROUP_LOCATION'] }],
          method: 'CONSENT_METHOD_PHONE_CALL',
          obtainedAt: new Date().toISOString(),
        },
      }),
      { principal: ngo },
    );
    expect(narrowed.narrowed).toBe(true);
    await expectAmanError(fetch(), 'AMAN_ERR_NOT_FOUND');
    const events = await h.store.readStream(`case-${caseId}`);
    expect(events.find((event) => event.type === 'ConsentUpdated')).toMatchObject({
      data: { narrowed: true, organisationId: 'org-ngo' },
      metadata: { actor: { principalId: 'key_ngo' } },
    });
    expect(events.filter((event) => event.type === 'ConsentRecorded').at(-1)).toMatchObject({
      data: { consent: { method: 'CONSENT_METHOD_PHONE_CALL' }, recordedBy: 'key_ngo' },
    });
  });

  it('withdraws a case: packets stop, and it stays the NGO’s to read', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0007'), {
      principal: ngo,
    });
    await h.gateway.call(
      'withdrawCase',
      { caseId, reason: intake.WithdrawalReason.WITHDRAWAL_REASON_SAFE },
      { principal: ngo },
    );
    await expectAmanError(
      h.referral.call(
        'getReferralPacket',
        { caseId, referralId: 'r-7', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal: embassy },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
    const read = await h.gateway.call('getCase', { caseId }, { principal: ngo });
    expect(read.case?.status).toBe(intake.CaseStatus.CASE_STATUS_WITHDRAWN);
    await expectAmanError(
      h.gateway.call(
        'withdrawCase',
        { caseId, reason: intake.WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED },
        { principal: ngo },
      ),
      'AMAN_ERR_VALIDATION',
    );
  });

  it('erases by destroying the data key: the raw stores give the name before, and nothing after', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0008'), {
      principal: ngo,
    });
    const wrapped = await h.vault.get(`dk_${caseId}`);
    if (wrapped === undefined || wrapped === 'destroyed') throw new Error('no data key stored');
    // Before: the procedure works, so the test sees what it looks for.
    const before = await h.rawStores();
    expect(recoverNames(before, caseId)).toEqual([canary.fullName]);
    expect(before).toContain(wrapped.ciphertext);

    await h.gateway.call('eraseCase', { caseId }, { principal: ngo });
    await h.gateway.call('eraseCase', { caseId }, { principal: ngo });

    const after = await h.rawStores();
    expect(recoverNames(after, caseId)).toEqual([]);
    expect(after).not.toContain(wrapped.ciphertext);
    expect(after).not.toContain(wrapped.nonce);
    // The non-personal facts remain; the personal data reads as erased.
    const read = (await h.gateway.call('getCase', { caseId }, { principal: ngo })).case;
    expect(read).toMatchObject({
      status: intake.CaseStatus.CASE_STATUS_ERASED,
      province: 'AF-HER',
      threatNarratives: [],
    });
    expect(read?.defender).toBeUndefined();
    expect((await h.store.readStream(`case-${caseId}`)).at(-1)).toMatchObject({
      type: 'CaseErased',
      data: { caseId, organisationId: 'org-ngo' },
    });
    await expectAmanError(
      h.referral.call(
        'getReferralPacket',
        { caseId, referralId: 'r-8', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal: embassy },
      ),
      'AMAN_ERR_ERASED',
    );
  });

  it('flags a likely duplicate to the earlier NGO only, and links only with both NGOs', async () => {
    const person = (fullName: string, phone = '') =>
      intake.SubmitCaseRequest.fromJSON({
        ...(intake.SubmitCaseRequest.toJSON(submission(`dup-${fullName}`)) as object),
        defender: { ...canary, fullName, phone, dateOfBirth: '1988-07-15' },
      });
    await h.duplicates.sweep();
    const held = await h.gateway.call('submitCase', person('Mohammad Ahmadi'), { principal: ngo });
    const twin = await h.gateway.call('submitCase', person('محمد احمدی'), { principal: otherNgo });
    const stranger = await h.gateway.call('submitCase', person('Mahmood Ahmadi'), {
      principal: otherNgo,
    });
    // The submitter's answer is the answer for a new person.
    expect(intake.SubmitCaseResponse.toJSON({ ...twin, caseId: '' })).toEqual(
      intake.SubmitCaseResponse.toJSON({ ...stranger, caseId: '' }),
    );
    await h.duplicates.sweep();
    const holderView = (
      await h.gateway.call('getCase', { caseId: held.caseId }, { principal: ngo })
    ).case;
    expect(holderView?.duplicates).toHaveLength(1);
    const match = holderView?.duplicates[0];
    expect(match).toMatchObject({
      status: intake.DuplicateMatchStatus.DUPLICATE_MATCH_STATUS_SUSPECTED,
    });
    expect(match?.linkedCaseId).toBeUndefined();
    expect(JSON.stringify(holderView)).not.toContain(twin.caseId);
    const twinView = async () =>
      (await h.gateway.call('getCase', { caseId: twin.caseId }, { principal: otherNgo })).case;
    expect((await twinView())?.duplicates).toEqual([]);
    const strangerView = await h.gateway.call(
      'getCase',
      { caseId: stranger.caseId },
      { principal: otherNgo },
    );
    expect(strangerView.case?.duplicates).toEqual([]);
    const matchId = match?.matchId ?? '';
    // The later NGO cannot answer a match it was not shown.
    await expectAmanError(
      h.gateway.call(
        'respondToDuplicate',
        {
          caseId: twin.caseId,
          matchId,
          response: intake.DuplicateResponse.DUPLICATE_RESPONSE_LINK,
        },
        { principal: otherNgo },
      ),
      'AMAN_ERR_NOT_FOUND',
    );
    const link = (caseId: string, principal: Principal) =>
      h.gateway.call(
        'respondToDuplicate',
        { caseId, matchId, response: intake.DuplicateResponse.DUPLICATE_RESPONSE_LINK },
        { principal },
      );
    expect((await link(held.caseId, ngo)).status).toBe(
      intake.DuplicateMatchStatus.DUPLICATE_MATCH_STATUS_LINK_PROPOSED,
    );
    expect((await twinView())?.duplicates[0]).toMatchObject({
      matchId,
      status: intake.DuplicateMatchStatus.DUPLICATE_MATCH_STATUS_LINK_PROPOSED,
    });
    expect((await twinView())?.duplicates[0]?.linkedCaseId).toBeUndefined();
    expect((await link(twin.caseId, otherNgo)).status).toBe(
      intake.DuplicateMatchStatus.DUPLICATE_MATCH_STATUS_LINKED,
    );
    expect((await twinView())?.duplicates[0]?.linkedCaseId).toBe(held.caseId);
    const heldAfter = await h.gateway.call('getCase', { caseId: held.caseId }, { principal: ngo });
    expect(heldAfter.case?.duplicates[0]?.linkedCaseId).toBe(twin.caseId);
    // Audited: each case's stream records the match, with who acted.
    const heldEvents = await h.store.readStream(`case-${held.caseId}`);
    expect(
      heldEvents.filter((event) => event.type.startsWith('Duplicate')).map((e) => e.type),
    ).toEqual(['DuplicateSuspected', 'DuplicateMatchChanged', 'DuplicateMatchChanged']);
  });

  it('takes a phone in words and no date of birth, but refuses a date that is not one', async () => {
    const withDefender = (key: string, defender: Record<string, string>) =>
      intake.SubmitCaseRequest.fromJSON({
        ...(intake.SubmitCaseRequest.toJSON(submission(key)) as object),
        defender: { ...canary, ...defender },
      });
    const accepted = await h.gateway.call(
      'submitCase',
      withDefender('words-1', { phone: 'through her brother', dateOfBirth: '' }),
      { principal: ngo },
    );
    expect(accepted.caseId).not.toBe('');
    const refused = await expectAmanError(
      h.gateway.call('submitCase', withDefender('words-2', { dateOfBirth: '12/04/1990' }), {
        principal: ngo,
      }),
      'AMAN_ERR_VALIDATION',
    );
    expect(refused.message).toContain('defender.dateOfBirth');
    expect(refused.message).not.toContain('1990');
  });

  it('holds back matches beyond the hourly limit of one submitting key', async () => {
    const person = (n: number) =>
      intake.SubmitCaseRequest.fromJSON({
        ...(intake.SubmitCaseRequest.toJSON(submission(`probe-${n}`)) as object),
        defender: {
          ...canary,
          fullName: `Probe Person ${n}`,
          dateOfBirth: '1970-01-01',
          phone: '',
        },
      });
    const prober: Principal = {
      organisationId: 'org-ngo-3',
      organisationType: 'ngo',
      keyId: 'key_probe',
    };
    const held: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      held.push((await h.gateway.call('submitCase', person(n), { principal: ngo })).caseId);
      await h.gateway.call('submitCase', person(n), { principal: prober });
    }
    await h.duplicates.sweep();
    const flagged = await Promise.all(
      held.map(async (caseId) => {
        const view = await h.gateway.call('getCase', { caseId }, { principal: ngo });
        return view.case?.duplicates.length ?? 0;
      }),
    );
    // Three within the limit; the two beyond it are held back for good, not flagged later.
    expect(flagged.reduce((sum, n) => sum + n, 0)).toBe(3);
    expect(await h.duplicates.sweep()).toBe(0);
  });

  it('rotates the master key: every data key rewrapped, old events still open', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('key-0009'), {
      principal: ngo,
    });
    const next = masterKeyFromBase64('test-master-2', Buffer.alloc(32, 4).toString('base64'));
    // The deploy: the new key is current, the old one retired but still known.
    const rotated = ring(next, masterKey);
    await h.restartWith(rotated);
    expect(await rewrapDataKeys(h.vault, rotated)).toBeGreaterThan(0);
    expect(await rewrapDataKeys(h.vault, rotated)).toBe(0);
    // Then the old key goes: what it wrapped is all rewrapped, so everything still opens.
    await h.restartWith(ring(next));
    const read = await h.gateway.call('getCase', { caseId }, { principal: ngo });
    expect(read.case?.defender).toEqual(canary);
    const wrapped = await h.vault.get(`dk_${caseId}`);
    expect(wrapped).toMatchObject({ masterKeyId: 'test-master-2' });
    const { packet } = await h.referral.call(
      'getReferralPacket',
      { caseId, referralId: 'r-9', recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
      { principal: embassy },
    );
    expect(packet?.fullName).toBe(canary.fullName);
    await h.restartWith(ring(masterKey));
  });

  it('audits every read of personal data and reports it by key and by organisation, for the admin only', async () => {
    const holder: Principal = {
      organisationId: 'org-aud-ngo',
      organisationType: 'ngo',
      keyId: 'key_aud_n1',
    };
    const stolen: Principal = {
      organisationId: 'org-aud-prov',
      organisationType: 'provider',
      keyId: 'key_aud_p1',
    };
    const sibling: Principal = { ...stolen, keyId: 'key_aud_p2' };
    const bystander: Principal = {
      organisationId: 'org-aud-other',
      organisationType: 'provider',
      keyId: 'key_aud_o1',
    };
    const grants = [
      {
        providerIds: ['org-aud-prov'],
        fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
      },
      { recipientTypes: ['RECIPIENT_TYPE_EMBASSY'], fieldGroups: ['FIELD_GROUP_LOCATION'] },
    ];
    const submit = async (key: string, consent = grants) =>
      (await h.gateway.call('submitCase', submission(key, consent), { principal: holder })).caseId;
    const first = await submit('aud-1');
    const second = await submit('aud-2');
    const unconsented = await submit('aud-3', [
      { recipientTypes: ['RECIPIENT_TYPE_SHELTER_NETWORK'], fieldGroups: ['FIELD_GROUP_IDENTITY'] },
    ]);
    const packet = (caseId: string, referralId: string, principal: Principal) =>
      h.referral.call(
        'getReferralPacket',
        { caseId, referralId, recipientType: common.RecipientType.RECIPIENT_TYPE_EMBASSY },
        { principal },
      );
    const before = new Date();
    await packet(first, 'ref-aud-1', stolen);
    await packet(second, 'ref-aud-2', stolen);
    await expectAmanError(packet(unconsented, 'ref-aud-3', stolen), 'AMAN_ERR_NOT_FOUND');
    await packet(first, 'ref-aud-4', sibling);
    await packet(first, 'ref-aud-5', bystander);
    await h.gateway.call('getCase', { caseId: first }, { principal: holder });
    const after = new Date();

    const report = async (by: Partial<intake.ReportAccessRequest>) =>
      (
        await h.admin.call('reportAccess', intake.ReportAccessRequest.fromPartial(by), {
          principal: ADMIN,
        })
      ).accesses;
    const byKey = await report({ keyId: 'key_aud_p1' });
    expect(byKey.map((access) => [access.caseId, access.outcome, access.referralId])).toEqual([
      [first, intake.AccessOutcome.ACCESS_OUTCOME_READ, 'ref-aud-1'],
      [second, intake.AccessOutcome.ACCESS_OUTCOME_READ, 'ref-aud-2'],
      [unconsented, intake.AccessOutcome.ACCESS_OUTCOME_REFUSED, 'ref-aud-3'],
    ]);
    expect(byKey[0]).toMatchObject({
      ownerOrganisationId: 'org-aud-ngo',
      organisationId: 'org-aud-prov',
      organisationType: 'provider',
      keyId: 'key_aud_p1',
      kind: intake.AccessKind.ACCESS_KIND_PACKET,
      // Its own grant and the embassies' (it asked as an embassy).
      fieldGroups: [
        common.FieldGroup.FIELD_GROUP_IDENTITY,
        common.FieldGroup.FIELD_GROUP_CONTACT,
        common.FieldGroup.FIELD_GROUP_LOCATION,
      ],
    });
    expect(byKey[2]?.fieldGroups).toEqual([]);
    for (const access of byKey) {
      expect(access.at?.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(access.at?.getTime()).toBeLessThanOrEqual(after.getTime());
    }
    const times = byKey.map((access) => access.at?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The NGO's read of its own record: all it holds, and it is the owner.
    expect(await report({ keyId: 'key_aud_n1' })).toEqual([
      expect.objectContaining({
        caseId: first,
        ownerOrganisationId: 'org-aud-ngo',
        organisationId: 'org-aud-ngo',
        organisationType: 'ngo',
        kind: intake.AccessKind.ACCESS_KIND_RECORD,
        outcome: intake.AccessOutcome.ACCESS_OUTCOME_READ,
        fieldGroups: [1, 2, 3, 4, 5],
        referralId: '',
      }),
    ]);

    // The organisation: every key's accesses, and nobody else's.
    const byOrganisation = await report({ organisationId: 'org-aud-prov' });
    expect(byOrganisation.map((access) => [access.keyId, access.caseId])).toEqual([
      ['key_aud_p1', first],
      ['key_aud_p1', second],
      ['key_aud_p1', unconsented],
      ['key_aud_p2', first],
    ]);
    expect(await report({ organisationId: 'org-aud-other' })).toHaveLength(1);
    expect(await report({ keyId: 'key_nobody' })).toEqual([]);

    // A window, and pages.
    const since = byKey[1]?.at;
    expect((await report({ keyId: 'key_aud_p1', since })).map((a) => a.caseId)).toEqual([
      second,
      unconsented,
    ]);
    expect((await report({ keyId: 'key_aud_p1', until: since })).map((a) => a.caseId)).toEqual([
      first,
    ]);
    const firstPage = await h.admin.call(
      'reportAccess',
      intake.ReportAccessRequest.fromPartial({ organisationId: 'org-aud-prov', pageSize: 3 }),
      { principal: ADMIN },
    );
    expect(firstPage.accesses).toHaveLength(3);
    const lastPage = await h.admin.call(
      'reportAccess',
      intake.ReportAccessRequest.fromPartial({
        organisationId: 'org-aud-prov',
        pageSize: 3,
        pageToken: firstPage.nextPageToken,
      }),
      { principal: ADMIN },
    );
    expect(lastPage.accesses.map((access) => access.keyId)).toEqual(['key_aud_p2']);
    expect(lastPage.nextPageToken).toBe('');

    // Only the admin CLI, and only for an admin principal.
    const request = intake.ReportAccessRequest.fromPartial({ keyId: 'key_aud_p1' });
    await expectAmanError(
      h.gateway.call('reportAccess', request, { principal: ADMIN }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(
      h.admin.call('reportAccess', request, { principal: holder }),
      'AMAN_ERR_FORBIDDEN',
    );
    await expectAmanError(h.admin.call('reportAccess', request), 'AMAN_ERR_UNAUTHENTICATED');
    await expectAmanError(
      h.admin.call('reportAccess', intake.ReportAccessRequest.fromPartial({}), {
        principal: ADMIN,
      }),
      'AMAN_ERR_VALIDATION',
    );

    // The audit events say who, which case, what and when, and nothing personal.
    const audit = (await h.store.readAll({ limit: 10_000 })).filter((event) =>
      ['PacketReleased', 'PacketRefused', 'CaseRecordRead'].includes(event.type),
    );
    expect(audit.length).toBeGreaterThanOrEqual(6);
    const text = JSON.stringify(audit);
    for (const value of [...Object.values(canary), CANARY_NARRATIVE]) {
      expect(text).not.toContain(value);
    }
    expect(await h.store.readStream(`access-${first}`)).toEqual([
      expect.objectContaining({
        type: 'CaseRecordRead',
        data: {
          caseId: first,
          organisationId: 'org-aud-ngo',
          organisationType: 'ngo',
          keyId: 'key_aud_n1',
          fieldGroups: [
            'FIELD_GROUP_IDENTITY',
            'FIELD_GROUP_CONTACT',
            'FIELD_GROUP_LOCATION',
            'FIELD_GROUP_THREATS',
            'FIELD_GROUP_CIRCUMSTANCES',
          ],
          readAt: expect.any(String),
        },
        metadata: expect.objectContaining({
          actor: { organisationId: 'org-aud-ngo', principalId: 'key_aud_n1' },
        }),
      }),
    ]);
    // The NGO's reads stay in intake: the outbox relay, over this store, publishes the packets'
    // audit and not the record reads (only bound event types leave intake).
    expect(codecsOf('intake').publishes('CaseRecordRead')).toBe(false);
    const published: BusMessage[] = [];
    const unpublishable: string[] = [];
    await new OutboxRelay({
      store: h.store,
      checkpoints: await h.platform.checkpoints(),
      publisher: {
        publish: (_topic, messages) => {
          published.push(...messages);
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      },
      codecs: codecsOf('intake'),
      topic: 'aman.intake.v1',
      name: 'relay:access-audit-test',
      onUnpublishable: (event) => {
        unpublishable.push(event.type);
        return Promise.resolve();
      },
    }).runOnce();
    expect(unpublishable).toEqual([]);
    const types = new Set(published.map((message) => message.type));
    expect(types).toContain('aman.intake.v1.PacketReleased');
    expect([...types].filter((type) => !type.startsWith('aman.intake.v1.'))).toEqual([]);
    expect(published.filter((message) => message.stream.startsWith('access-'))).toEqual([]);
    const bytes = published.map((m) => Buffer.from(m.data).toString('latin1')).join('\n');
    expect(bytes).not.toContain(canary.fullName);
    const raw = await h.rawStores();
    for (const value of [canary.fullName, canary.phone, CANARY_NARRATIVE]) {
      expect(raw).not.toContain(value);
    }
  });

  it('audits the NGO’s read without moving the version its update is checked against', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('aud-version'), {
      principal: ngo,
    });
    const read = async () =>
      (await h.gateway.call('getCase', { caseId }, { principal: ngo })).case?.version ?? -1;
    const version = await read();
    expect(await read()).toBe(version);
    expect(await read()).toBe(version);
    const update = intake.UpdateCaseRequest.fromJSON({
      caseId,
      expectedVersion: version,
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      province: 'AF-KAB',
      needs: ['NEED_LEGAL_AID'],
      vulnerabilities: {},
      capacities: {},
    });
    expect((await h.gateway.call('updateCase', update, { principal: ngo })).version).toBe(
      version + 1,
    );
    expect(
      (await h.store.readStream(`case-${caseId}`)).filter((e) => e.type === 'CaseRecordRead'),
    ).toEqual([]);
    expect(await h.store.readStream(`access-${caseId}`)).toHaveLength(3);
  });

  it('reports an access appended after the index last caught up: the report reads to the head', async () => {
    const { caseId } = await h.gateway.call('submitCase', submission('aud-late'), {
      principal: ngo,
    });
    const late: Principal = { ...ngo, keyId: 'key_aud_late' };
    const report = () =>
      h.admin.call(
        'reportAccess',
        intake.ReportAccessRequest.fromPartial({ keyId: 'key_aud_late' }),
        {
          principal: ADMIN,
        },
      );
    expect((await report()).accesses).toEqual([]);
    await h.gateway.call('getCase', { caseId }, { principal: late });
    expect((await report()).accesses.map((access) => access.caseId)).toEqual([caseId]);
  });
}

describe('intake over gRPC, embedded stores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-intake-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  intakeSuite('embedded', () =>
    startIntake({ mode: 'embedded', dataDir: dir }, dir, () => {
      // The SQLite files and their write-ahead logs, byte for byte.
      const files = ['intake.events.db', 'intake.vault.db', 'intake.readmodels.db']
        .flatMap((name) => [name, `${name}-wal`])
        .map((name) => join(dir, name))
        .filter((path) => existsSync(path));
      return Promise.resolve(files.map((path) => readFileSync(path).toString('latin1')).join('\n'));
    }),
  );
});

describeWithMongo('intake over gRPC, MongoDB stores', (mongo) => {
  const dir = mkdtempSync(join(tmpdir(), 'aman-intake-mongo-'));
  afterAll(async () => {
    await dropMongoDatabases(mongo.uri, mongo.database);
    rmSync(dir, { recursive: true, force: true });
  });
  intakeSuite('distributed', () =>
    startIntake(
      {
        mode: 'distributed',
        mongoUri: mongo.uri,
        kafkaBrokers: [],
        databasePrefix: mongo.database,
      },
      dir,
      async () =>
        (await readMongoDatabases(mongo.uri, mongo.database)).map((c) => c.text).join('\n'),
    ),
  );
});

/*
 * Pins intake's vocabularies and public events to proto/ (the domain code itself never imports
 * the generated contracts): every vocabulary value is a protobuf enum name, and every public
 * event's data survives protobuf JSON both ways, so it is exactly the message's JSON form.
 */
import { describe, expect, it } from '@jest/globals';

import { common, intake } from '@aman/contracts';
import { withoutDefaults } from '@aman/testing';
import { enumNames } from '@aman/contracts/vocabulary';

import {
  CONSENT_METHODS,
  DUPLICATE_RESPONSES,
  WITHDRAWAL_REASONS,
  caseDecider,
  publicCaseEventTypes,
  type CaseCommand,
  type CaseEvent,
  type CaseState,
} from './index.ts';

const by = { caseId: 'c-1', organisationId: 'org-ngo', principalId: 'key-1' };
const at = '2025-03-02T08:00:00.5+01:00';
const facts = {
  profile: 'PROFILE_WOMEN_RIGHTS_DEFENDER',
  gender: 'GENDER_NON_BINARY',
  province: 'AF-HER',
  outsideCapital: true,
  familyExposed: false,
  needs: ['NEED_INTERNAL_RELOCATION'],
  vulnerabilities: { minority: true, disability: false, publicVisibility: true },
  capacities: { supportNetwork: false, relocationOptions: true, digitalSecurity: false },
} as const;
const threat = {
  kind: 'THREAT_KIND_HOUSE_SEARCH',
  occurredOn: '2025-02-01',
  source: 'THREAT_SOURCE_STATE_ACTOR',
  objective: 'THREAT_OBJECTIVE_PUNISH',
  feasibility: 'FEASIBILITY_HIGH',
  declared: true,
} as const;
const consent = {
  grants: [
    {
      recipientTypes: ['RECIPIENT_TYPE_SHELTER_NETWORK'],
      fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_LOCATION'],
      providerIds: ['org-shelter'],
    },
  ],
  method: 'CONSENT_METHOD_ENCRYPTED_MESSAGE',
  obtainedAt: '2025-03-01T09:00:00Z',
} as const;
const empty = { fullName: '', phone: '', place: '', dateOfBirth: '' };

/** A case's whole life, every public event type at least once. */
const commands = [
  {
    type: 'SubmitCase',
    data: {
      ...by,
      idempotencyKey: 'key-1',
      facts: {
        ...facts,
        threats: [threat, { ...threat, kind: 'THREAT_KIND_ONLINE_HARASSMENT', declared: false }],
      },
      consent,
      dataKeyId: 'dk-1',
      sealed: { ...empty, threatNarratives: ['', ''] },
      submittedAt: '2025-03-01T10:00:00Z',
    },
  },
  {
    type: 'ReleasePacket',
    data: {
      caseId: 'c-1',
      referralId: 'ref-1',
      recipientOrganisationId: 'org-shelter',
      recipientType: 'RECIPIENT_TYPE_SHELTER_NETWORK',
      releasedAt: at,
    },
  },
  {
    type: 'UpdateCase',
    data: { ...by, facts: { ...facts, familyExposed: true }, sealed: undefined, updatedAt: at },
  },
  {
    type: 'ReportThreat',
    data: { ...by, idempotencyKey: 't-1', threat, narrative: '', reportedAt: at },
  },
  {
    type: 'UpdateConsent',
    data: { ...by, consent: { ...consent, grants: [] }, updatedAt: at },
  },
  { type: 'WithdrawCase', data: { ...by, reason: 'WITHDRAWAL_REASON_SAFE', withdrawnAt: at } },
  { type: 'EraseCase', data: { ...by, erasedAt: at } },
] as unknown as CaseCommand[];

describe('intake domain against proto/', () => {
  it("uses intake's protobuf enum names for its own vocabularies", () => {
    expect(CONSENT_METHODS).toEqual(enumNames(intake.ConsentMethod));
    expect(WITHDRAWAL_REASONS).toEqual(enumNames(intake.WithdrawalReason));
    expect(DUPLICATE_RESPONSES).toEqual(enumNames(intake.DuplicateResponse));
    expect(common.threatSourceFromJSON(threat.source)).toBeGreaterThan(0);
  });

  it('writes every public event as its protobuf JSON', () => {
    let state: CaseState = caseDecider.initialState();
    const events: CaseEvent[] = [];
    for (const command of commands) {
      const decided = caseDecider.decide(command, state) as CaseEvent[];
      events.push(...decided);
      state = decided.reduce(caseDecider.evolve, state);
    }
    const published = events.filter((event) =>
      (publicCaseEventTypes as readonly string[]).includes(event.type),
    );
    expect(new Set(published.map((event) => event.type))).toEqual(new Set(publicCaseEventTypes));
    for (const event of published) {
      // Every public event's message has fromJSON/toJSON; the union of them does not type-check.
      const message = intake[event.type as (typeof publicCaseEventTypes)[number]] as {
        fromJSON(json: unknown): unknown;
        toJSON(message: unknown): unknown;
      };
      expect([event.type, message.toJSON(message.fromJSON(event.data))]).toEqual([
        event.type,
        withoutDefaults(event.data),
      ]);
    }
  });
});

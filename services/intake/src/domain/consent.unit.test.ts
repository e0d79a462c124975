import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import {
  caseDecider,
  consentNarrowed,
  consentedFieldGroups,
  sealedFieldName,
  sealedPacketFor,
  type CaseEvent,
  type ConsentGrant,
} from './index.ts';

const consent: ConsentGrant[] = [
  {
    recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
    fieldGroups: ['FIELD_GROUP_THREATS', 'FIELD_GROUP_IDENTITY'],
    providerIds: [],
  },
  {
    recipientTypes: ['RECIPIENT_TYPE_MEDICAL'],
    fieldGroups: ['FIELD_GROUP_CIRCUMSTANCES'],
    providerIds: ['org-clinic'],
  },
  {
    recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
    fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_LOCATION'],
    providerIds: [],
  },
];

describe('consentedFieldGroups', () => {
  it('is the union over the grants that name the recipient type, in protobuf order', () => {
    expect(
      consentedFieldGroups(consent, { type: 'RECIPIENT_TYPE_EMBASSY', organisationId: 'org-any' }),
    ).toEqual(['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_LOCATION', 'FIELD_GROUP_THREATS']);
    expect(
      consentedFieldGroups(consent, { type: 'RECIPIENT_TYPE_MEDICAL', organisationId: 'org-any' }),
    ).toEqual(['FIELD_GROUP_CIRCUMSTANCES']);
  });

  it('adds what a grant gives a provider by name, whatever its type', () => {
    expect(
      consentedFieldGroups(consent, {
        type: 'RECIPIENT_TYPE_LEGAL_AID',
        organisationId: 'org-clinic',
      }),
    ).toEqual(['FIELD_GROUP_CIRCUMSTANCES']);
    expect(
      consentedFieldGroups(consent, {
        type: 'RECIPIENT_TYPE_LEGAL_AID',
        organisationId: 'org-other',
      }),
    ).toEqual([]);
  });

  it('is empty for a recipient type no grant names, and without consent', () => {
    expect(
      consentedFieldGroups(consent, {
        type: 'RECIPIENT_TYPE_SHELTER_NETWORK',
        organisationId: 'org-any',
      }),
    ).toEqual([]);
    expect(
      consentedFieldGroups([], { type: 'RECIPIENT_TYPE_EMBASSY', organisationId: 'org-any' }),
    ).toEqual([]);
  });
});

describe('consentNarrowed', () => {
  it('is true when a type or a named provider loses a field group, false otherwise', () => {
    expect(consentNarrowed(consent, consent)).toBe(false);
    expect(consentNarrowed(consent, consent.slice(0, 2))).toBe(true);
    expect(consentNarrowed(consent, [consent[0]!, { ...consent[1]!, providerIds: [] }])).toBe(true);
    const wider = [...consent, { ...consent[1]!, recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID'] }];
    expect(consentNarrowed(consent, wider as ConsentGrant[])).toBe(false);
    expect(consentNarrowed(consent, [])).toBe(true);
    expect(consentNarrowed([], consent)).toBe(false);
  });
});

describe('sealedPacketFor', () => {
  const events: CaseEvent[] = [
    {
      type: 'CaseSubmitted',
      data: {
        caseId: 'c-1',
        organisationId: 'org-ngo',
        profile: 'PROFILE_LAWYER',
        gender: 'GENDER_MAN',
        province: 'AF-KAB',
        outsideCapital: false,
        familyExposed: true,
        threats: [
          {
            kind: 'THREAT_KIND_DETENTION',
            occurredOn: '2025-01-01',
            source: 'THREAT_SOURCE_STATE_ACTOR',
            objective: 'THREAT_OBJECTIVE_PUNISH',
            feasibility: 'FEASIBILITY_HIGH',
            declared: true,
          },
        ],
        needs: ['NEED_LEGAL_AID'],
        vulnerabilities: { minority: false, disability: false, publicVisibility: false },
        capacities: { supportNetwork: false, relocationOptions: false, digitalSecurity: false },
        consent,
        submittedAt: '2025-03-01T10:00:00.000Z',
      },
    },
    {
      type: 'PersonalDataSealed',
      data: {
        caseId: 'c-1',
        dataKeyId: 'dk-1',
        idempotencyKey: 'key-1',
        sealed: {
          fullName: 'v1.n.a.t',
          phone: 'v1.n.b.t',
          place: 'v1.n.c.t',
          dateOfBirth: 'v1.n.e.t',
          threatNarratives: ['v1.n.d.t'],
        },
      },
    },
  ];
  const state = events.reduce(caseDecider.evolve, caseDecider.initialState());

  it('holds the sealed values of the released groups only; the others are absent', () => {
    expect(sealedPacketFor(state, ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'])).toEqual({
      caseId: 'c-1',
      fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'],
      dataKeyId: 'dk-1',
      profile: 'PROFILE_LAWYER',
      province: 'AF-KAB',
      fullName: 'v1.n.a.t',
      dateOfBirth: 'v1.n.e.t',
      phone: undefined,
      place: undefined,
      threatNarratives: ['v1.n.d.t'],
      needs: [],
      familyExposed: undefined,
    });
    expect(
      sealedPacketFor(state, [
        'FIELD_GROUP_CONTACT',
        'FIELD_GROUP_LOCATION',
        'FIELD_GROUP_CIRCUMSTANCES',
      ]),
    ).toMatchObject({
      fullName: undefined,
      phone: 'v1.n.b.t',
      place: 'v1.n.c.t',
      threatNarratives: [],
      needs: ['NEED_LEGAL_AID'],
      familyExposed: true,
    });
  });

  it('has no packet for a case that does not exist', async () => {
    await expectAmanError(
      (async () => sealedPacketFor(caseDecider.initialState(), ['FIELD_GROUP_IDENTITY']))(),
      'AMAN_ERR_NOT_FOUND',
    );
  });

  it('names the fields sealed values are bound to', () => {
    expect(sealedFieldName.fullName).toBe('fullName');
    expect(sealedFieldName.threatNarrative(2)).toBe('threatNarratives.2');
  });
});

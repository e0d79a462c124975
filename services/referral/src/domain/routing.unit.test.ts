import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import { respondBy } from './deadlines.ts';
import { consentedFieldGroups, revocationReason, route } from './routing.ts';
import type { CaseFacts, ConsentGrant, ProviderDescription } from './routing.ts';

const caseFacts: CaseFacts = {
  caseId: 'case-1',
  organisationId: 'org-ngo',
  needs: ['NEED_LEGAL_AID', 'NEED_EMERGENCY_GRANT'],
  consent: [
    {
      recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
      fieldGroups: ['FIELD_GROUP_CONTACT', 'FIELD_GROUP_IDENTITY'],
      providerIds: [],
    },
  ],
  level: 'RISK_LEVEL_HIGH',
  deadlineClass: 'DEADLINE_CLASS_URGENT',
};

const legalAid: ProviderDescription = {
  providerId: 'prov-legal',
  organisationId: 'org-legal',
  type: 'RECIPIENT_TYPE_LEGAL_AID',
  services: ['NEED_LEGAL_AID'],
  riskLevels: ['RISK_LEVEL_HIGH', 'RISK_LEVEL_CRITICAL'],
};

const fund: ProviderDescription = {
  providerId: 'prov-fund',
  organisationId: 'org-fund',
  type: 'RECIPIENT_TYPE_EMERGENCY_FUND',
  services: ['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID', 'NEED_MEDICAL'],
  riskLevels: ['RISK_LEVEL_MEDIUM', 'RISK_LEVEL_HIGH'],
};

describe('route', () => {
  it('matches a provider whose type consent covers, that serves a need and takes the level, and says why', () => {
    expect(route(caseFacts, [legalAid])).toEqual([
      {
        providerId: 'prov-legal',
        providerOrganisationId: 'org-legal',
        programmeId: '',
        criteriaVersion: 0,
        recipientType: 'RECIPIENT_TYPE_LEGAL_AID',
        needsServed: ['NEED_LEGAL_AID'],
        fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT'],
        reasons: [
          'serves NEED_LEGAL_AID',
          'takes RISK_LEVEL_HIGH cases',
          'consent covers RECIPIENT_TYPE_LEGAL_AID: FIELD_GROUP_IDENTITY, FIELD_GROUP_CONTACT',
        ],
      },
    ]);
  });

  it('ranks providers serving more of the needs first', () => {
    const matches = route(caseFacts, [legalAid, fund]);
    expect(matches.map((match) => match.providerId)).toEqual(['prov-fund', 'prov-legal']);
    expect(matches[0]!.needsServed).toEqual(['NEED_EMERGENCY_GRANT', 'NEED_LEGAL_AID']);
    expect(matches[0]!.reasons).toEqual([
      'serves NEED_EMERGENCY_GRANT',
      'serves NEED_LEGAL_AID',
      'takes RISK_LEVEL_HIGH cases',
      'consent covers RECIPIENT_TYPE_EMERGENCY_FUND: FIELD_GROUP_IDENTITY, FIELD_GROUP_CONTACT',
    ]);
  });

  it('breaks ties by provider id, whatever order the directory lists them in', () => {
    const b = { ...legalAid, providerId: 'prov-b', organisationId: 'org-b' };
    const a = { ...legalAid, providerId: 'prov-a', organisationId: 'org-a' };
    const C = { ...legalAid, providerId: 'prov-C', organisationId: 'org-c' };
    expect(route(caseFacts, [b, C, a]).map((match) => match.providerId)).toEqual([
      'prov-C',
      'prov-a',
      'prov-b',
    ]);
    expect(route(caseFacts, [a, b, C]).map((match) => match.providerId)).toEqual([
      'prov-C',
      'prov-a',
      'prov-b',
    ]);
  });

  it('sends nothing to a type no consent grant covers: no consent, no referral', () => {
    const embassy = {
      ...fund,
      providerId: 'prov-embassy',
      type: 'RECIPIENT_TYPE_EMBASSY' as const,
    };
    expect(route(caseFacts, [embassy])).toEqual([]);
    expect(route({ ...caseFacts, consent: [] }, [legalAid, fund])).toEqual([]);
  });

  it('does not count a grant that lists the type but no field group', () => {
    const facts: CaseFacts = {
      ...caseFacts,
      consent: [{ recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID'], fieldGroups: [], providerIds: [] }],
    };
    expect(route(facts, [legalAid])).toEqual([]);
  });

  it('joins the field groups of every grant that covers the type', () => {
    const facts: CaseFacts = {
      ...caseFacts,
      consent: [
        {
          recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID'],
          fieldGroups: ['FIELD_GROUP_THREATS'],
          providerIds: [],
        },
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_LEGAL_AID'],
          fieldGroups: ['FIELD_GROUP_CONTACT'],
          providerIds: [],
        },
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
          fieldGroups: ['FIELD_GROUP_LOCATION'],
          providerIds: [],
        },
      ],
    };
    const [match] = route(facts, [legalAid]);
    expect(match!.fieldGroups).toEqual(['FIELD_GROUP_CONTACT', 'FIELD_GROUP_THREATS']);
    expect(match!.reasons).toContain(
      'consent covers RECIPIENT_TYPE_LEGAL_AID: FIELD_GROUP_CONTACT, FIELD_GROUP_THREATS',
    );
  });

  it('matches a provider consent names, whatever its type, for the groups granted to it', () => {
    const facts: CaseFacts = {
      ...caseFacts,
      consent: [
        ...caseFacts.consent,
        { recipientTypes: [], fieldGroups: ['FIELD_GROUP_THREATS'], providerIds: ['org-shelter'] },
      ],
    };
    const shelter: ProviderDescription = {
      ...legalAid,
      providerId: 'prov-shelter',
      organisationId: 'org-shelter',
      type: 'RECIPIENT_TYPE_SHELTER_NETWORK',
    };
    const otherShelter = { ...shelter, providerId: 'prov-other', organisationId: 'org-other' };
    const matches = route(facts, [shelter, otherShelter]);
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({
      providerId: 'prov-shelter',
      recipientType: 'RECIPIENT_TYPE_SHELTER_NETWORK',
      fieldGroups: ['FIELD_GROUP_THREATS'],
    });
    expect(matches[0]!.reasons).toContain(
      'consent covers this provider by name: FIELD_GROUP_THREATS',
    );
  });

  it('says when consent covers a provider both by its type and by name', () => {
    const facts: CaseFacts = {
      ...caseFacts,
      consent: [
        ...caseFacts.consent,
        { recipientTypes: [], fieldGroups: ['FIELD_GROUP_THREATS'], providerIds: ['org-legal'] },
      ],
    };
    expect(route(facts, [legalAid])[0]!.reasons).toContain(
      'consent covers RECIPIENT_TYPE_LEGAL_AID and this provider by name: FIELD_GROUP_IDENTITY, FIELD_GROUP_CONTACT, FIELD_GROUP_THREATS',
    );
  });

  it('leaves out a provider that serves none of the needs', () => {
    const medical = { ...fund, providerId: 'prov-medical', services: ['NEED_MEDICAL' as const] };
    expect(route(caseFacts, [medical])).toEqual([]);
  });

  it('leaves out a provider that does not take the level', () => {
    expect(route({ ...caseFacts, level: 'RISK_LEVEL_CRITICAL' }, [legalAid, fund])).toEqual([
      expect.objectContaining({ providerId: 'prov-legal' }),
    ]);
    expect(route({ ...caseFacts, level: 'RISK_LEVEL_LOW' }, [legalAid, fund])).toEqual([]);
  });
});

describe('respondBy', () => {
  it.each([
    ['DEADLINE_CLASS_CRITICAL', '2025-03-01T14:00:00.000Z'],
    ['DEADLINE_CLASS_EMERGENCY', '2025-03-02T10:00:00.000Z'],
    ['DEADLINE_CLASS_URGENT', '2025-03-04T10:00:00.000Z'],
    ['DEADLINE_CLASS_NORMAL', '2025-03-15T10:00:00.000Z'],
  ] as const)('gives %s until %s', (deadlineClass, expected) => {
    expect(respondBy(deadlineClass, '2025-03-01T10:00:00Z')).toBe(expected);
  });

  it('counts from the instant, whatever offset the time was written with', () => {
    expect(respondBy('DEADLINE_CLASS_EMERGENCY', '2025-03-01T14:30:00.250+04:30')).toBe(
      '2025-03-02T10:00:00.250Z',
    );
  });

  it('counts days of 24 hours across a month and a leap day', () => {
    expect(respondBy('DEADLINE_CLASS_NORMAL', '2024-02-20T23:00:00Z')).toBe(
      '2024-03-05T23:00:00.000Z',
    );
  });

  it('refuses a time that is not an RFC 3339 timestamp, and an unspecified class', async () => {
    await expectAmanError(
      Promise.resolve().then(() => respondBy('DEADLINE_CLASS_URGENT', 'yesterday')),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      Promise.resolve().then(() =>
        respondBy('DEADLINE_CLASS_UNSPECIFIED' as never, '2025-03-01T10:00:00Z'),
      ),
      'AMAN_ERR_VALIDATION',
    );
  });
});

describe('consentedFieldGroups', () => {
  const shelter = {
    organisationId: 'org-shelter',
    type: 'RECIPIENT_TYPE_SHELTER_NETWORK',
  } as const;
  const grant = (over: Partial<ConsentGrant>): ConsentGrant => ({
    recipientTypes: [],
    fieldGroups: [],
    providerIds: [],
    ...over,
  });

  it('joins what grants give the type and what they give the provider by name', () => {
    expect(
      consentedFieldGroups(
        [
          grant({
            recipientTypes: ['RECIPIENT_TYPE_SHELTER_NETWORK'],
            fieldGroups: ['FIELD_GROUP_LOCATION'],
          }),
          grant({ providerIds: ['org-shelter'], fieldGroups: ['FIELD_GROUP_IDENTITY'] }),
          grant({ providerIds: ['org-other'], fieldGroups: ['FIELD_GROUP_CONTACT'] }),
        ],
        shelter,
      ),
    ).toEqual(['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_LOCATION']);
  });

  it('gives nothing to a provider neither listed by type nor named', () => {
    expect(
      consentedFieldGroups(
        [
          grant({
            recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
            fieldGroups: ['FIELD_GROUP_CONTACT'],
          }),
        ],
        shelter,
      ),
    ).toEqual([]);
  });
});

describe('revocationReason', () => {
  const legal = { organisationId: 'org-legal', type: 'RECIPIENT_TYPE_LEGAL_AID' } as const;
  const consent = caseFacts.consent;

  it('keeps a provider consent still lets receive a field group', () => {
    expect(revocationReason({ status: 'open', consent }, legal)).toBeUndefined();
    const byName: ConsentGrant[] = [
      { recipientTypes: [], fieldGroups: ['FIELD_GROUP_THREATS'], providerIds: ['org-legal'] },
    ];
    expect(revocationReason({ status: 'open', consent: byName }, legal)).toBeUndefined();
  });

  it('revokes a provider that no longer has any consented field group', () => {
    const narrowed: ConsentGrant[] = [
      {
        recipientTypes: ['RECIPIENT_TYPE_EMERGENCY_FUND'],
        fieldGroups: ['FIELD_GROUP_CONTACT'],
        providerIds: ['org-fund'],
      },
      { recipientTypes: ['RECIPIENT_TYPE_LEGAL_AID'], fieldGroups: [], providerIds: [] },
    ];
    expect(revocationReason({ status: 'open', consent: narrowed }, legal)).toBe(
      'consent_withdrawn',
    );
    expect(revocationReason({ status: 'open', consent: [] }, legal)).toBe('consent_withdrawn');
  });

  it('revokes every provider of a withdrawn or erased case, consent or not', () => {
    expect(revocationReason({ status: 'withdrawn', consent }, legal)).toBe('case_withdrawn');
    expect(revocationReason({ status: 'erased', consent }, legal)).toBe('case_erased');
  });
});

describe('route with programmes, eligibility and capacity', () => {
  const embassy: ProviderDescription = {
    providerId: 'prov-embassy',
    organisationId: 'org-embassy',
    type: 'RECIPIENT_TYPE_LEGAL_AID',
    services: ['NEED_LEGAL_AID'],
    riskLevels: ['RISK_LEVEL_HIGH'],
  };
  const programme = {
    programmeId: 'prog-1',
    services: ['NEED_LEGAL_AID'] as const,
    riskLevels: [],
    eligibility: { profiles: ['PROFILE_JOURNALIST' as const], provinces: [], genders: [] },
    criteriaVersion: 3,
    open: true,
    quota: 1,
    placesTaken: 0,
  };
  const journalist: CaseFacts = { ...caseFacts, profile: 'PROFILE_JOURNALIST' };

  it('puts a programme the case qualifies for before its provider’s general service, recording its criteria version', () => {
    const matches = route(journalist, [embassy, { ...embassy, programme }]);
    expect(matches.map((m) => [m.programmeId, m.criteriaVersion])).toEqual([
      ['prog-1', 3],
      ['', 0],
    ]);
    expect(matches[0]!.reasons[0]).toBe('programme prog-1, criteria version 3');
  });

  it.each([
    ['closed', { open: false }],
    ['whose quota is taken', { placesTaken: 1 }],
    [
      'whose criteria the case does not meet',
      { eligibility: { ...programme.eligibility, profiles: ['PROFILE_LAWYER' as const] } },
    ],
  ])('passes a programme by when it is %s', (_, change) => {
    expect(route(journalist, [{ ...embassy, programme: { ...programme, ...change } }])).toEqual([]);
  });

  it('passes a suspended provider or one at capacity by', () => {
    expect(route(journalist, [{ ...embassy, active: false }])).toEqual([]);
    expect(route(journalist, [{ ...embassy, capacity: 2, load: 2 }])).toEqual([]);
    expect(route(journalist, [{ ...embassy, capacity: 2, load: 1 }])).toHaveLength(1);
  });
});

import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import {
  caseDecider,
  caseStream,
  type CaseEvent,
  type CaseFacts,
  type ReleasePacket,
  type SubmitCase,
} from './index.ts';

/** Shaped like `@aman/crypto` output; the domain never sees what is inside. */
const sealedValue = (n: number): string => `v1.AAAAAAAAAAAAAAA${n}.c2VhbGVk.BBBBBBBBBBBBBBBBBBBBBB`;

const facts: CaseFacts = {
  profile: 'PROFILE_JOURNALIST',
  gender: 'GENDER_WOMAN',
  province: 'AF-BAL',
  outsideCapital: true,
  familyExposed: false,
  threats: [
    { kind: 'THREAT_KIND_DEATH_THREAT', occurredOn: '2025-02-20', byArmedOrStateActor: true },
    { kind: 'THREAT_KIND_SURVEILLANCE', occurredOn: '2025-01-05', byArmedOrStateActor: false },
  ],
  needs: ['NEED_RELOCATION_ABROAD', 'NEED_DIGITAL_SECURITY'],
  consent: [
    {
      recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
      fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'],
    },
    {
      recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
      fieldGroups: ['FIELD_GROUP_CONTACT', 'FIELD_GROUP_IDENTITY'],
    },
  ],
};

const submit: SubmitCase = {
  type: 'SubmitCase',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    idempotencyKey: 'key-1',
    facts,
    dataKeyId: 'dk-1',
    sealed: {
      fullName: sealedValue(1),
      phone: sealedValue(2),
      place: '',
      threatNarratives: [sealedValue(3), sealedValue(4)],
    },
    submittedAt: '2025-03-01T14:30:00+04:30',
  },
};

const submitted: CaseEvent[] = [
  {
    type: 'CaseSubmitted',
    data: {
      caseId: 'c-1',
      organisationId: 'org-ngo',
      profile: 'PROFILE_JOURNALIST',
      gender: 'GENDER_WOMAN',
      province: 'AF-BAL',
      outsideCapital: true,
      familyExposed: false,
      threats: [
        { kind: 'THREAT_KIND_DEATH_THREAT', occurredOn: '2025-02-20', byArmedOrStateActor: true },
        { kind: 'THREAT_KIND_SURVEILLANCE', occurredOn: '2025-01-05', byArmedOrStateActor: false },
      ],
      needs: ['NEED_RELOCATION_ABROAD', 'NEED_DIGITAL_SECURITY'],
      consent: [
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
          fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'],
        },
        {
          recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
          fieldGroups: ['FIELD_GROUP_CONTACT', 'FIELD_GROUP_IDENTITY'],
        },
      ],
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
        fullName: sealedValue(1),
        phone: sealedValue(2),
        place: '',
        threatNarratives: [sealedValue(3), sealedValue(4)],
      },
    },
  },
];

function submitWith(change: {
  facts?: Partial<Record<keyof CaseFacts, unknown>>;
  data?: Partial<Record<keyof SubmitCase['data'], unknown>>;
  sealed?: Partial<Record<keyof SubmitCase['data']['sealed'], unknown>>;
}): SubmitCase {
  return {
    type: 'SubmitCase',
    data: {
      ...submit.data,
      ...change.data,
      facts: { ...facts, ...change.facts },
      sealed: { ...submit.data.sealed, ...change.sealed },
    } as SubmitCase['data'],
  };
}

function release(recipientType: string, referralId = 'ref-1'): ReleasePacket {
  return {
    type: 'ReleasePacket',
    data: {
      caseId: 'c-1',
      referralId,
      recipientOrganisationId: 'org-embassy',
      recipientType,
      releasedAt: '2025-03-02T08:00:00Z',
    } as ReleasePacket['data'],
  };
}

describe('Case', () => {
  const spec = DeciderSpecification.for(caseDecider);

  it('lives in one stream per case', () => {
    expect(caseStream('c-1')).toBe('case-c-1');
  });

  describe('SubmitCase', () => {
    it('records the facts in the clear and the personal data sealed, time in UTC', () => {
      spec.given([]).when(submit).then(submitted);
    });

    it('accepts a case without consent: it can be assessed, but not referred', () => {
      const [caseSubmitted] = caseDecider.decide(submitWith({ facts: { consent: [] } }), {
        exists: false,
      }) as CaseEvent[];
      expect(caseSubmitted?.type === 'CaseSubmitted' && caseSubmitted.data.consent).toEqual([]);
    });

    it('decides nothing for a retry with the same idempotency key and facts', () => {
      // The retry's sealed values differ (fresh nonces): the first submission's stand.
      spec
        .given(submitted)
        .when(submitWith({ sealed: { fullName: sealedValue(9) }, data: { dataKeyId: 'dk-2' } }))
        .thenNothingHappened();
    });

    it('refuses the same idempotency key with other facts', () => {
      spec
        .given(submitted)
        .when(submitWith({ facts: { needs: ['NEED_LEGAL_AID'] } }))
        .thenThrows('AMAN_ERR_IDEMPOTENCY_CONFLICT');
    });

    it('refuses another idempotency key or organisation on an existing case', () => {
      spec
        .given(submitted)
        .when(submitWith({ data: { idempotencyKey: 'key-2' } }))
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
      spec
        .given(submitted)
        .when(submitWith({ data: { organisationId: 'org-other' } }))
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it.each<[string, Parameters<typeof submitWith>[0], string]>([
      ['no need', { facts: { needs: [] } }, 'facts.needs'],
      ['a need twice', { facts: { needs: ['NEED_MEDICAL', 'NEED_MEDICAL'] } }, 'facts.needs'],
      ['an unspecified need', { facts: { needs: ['NEED_UNSPECIFIED'] } }, 'facts.needs[0]'],
      ['an unspecified profile', { facts: { profile: 'PROFILE_UNSPECIFIED' } }, 'facts.profile'],
      ['no gender', { facts: { gender: undefined } }, 'facts.gender'],
      ['a province by name', { facts: { province: 'Kabul' } }, 'facts.province'],
      ['a province in lower case', { facts: { province: 'af-kab' } }, 'facts.province'],
      ['a missing flag', { facts: { familyExposed: 'yes' } }, 'facts.familyExposed'],
      [
        'a threat without a date',
        { facts: { threats: [{ ...facts.threats[0], occurredOn: '20/02/2025' }] } },
        'facts.threats[0].occurredOn',
      ],
      [
        'a threat on a day that does not exist',
        { facts: { threats: [{ ...facts.threats[0], occurredOn: '2025-02-30' }] } },
        'facts.threats[0].occurredOn',
      ],
      [
        'a threat after the submission',
        { facts: { threats: [{ ...facts.threats[0], occurredOn: '2025-03-03' }] } },
        'facts.threats[0].occurredOn',
      ],
      [
        'a threat of unknown kind',
        { facts: { threats: [{ ...facts.threats[0], kind: 'THREAT_KIND_UNSPECIFIED' }] } },
        'facts.threats[0].kind',
      ],
      [
        'a grant to no recipient',
        { facts: { consent: [{ recipientTypes: [], fieldGroups: ['FIELD_GROUP_IDENTITY'] }] } },
        'facts.consent[0].recipientTypes',
      ],
      [
        'a grant of no field group',
        { facts: { consent: [{ recipientTypes: ['RECIPIENT_TYPE_MEDICAL'], fieldGroups: [] }] } },
        'facts.consent[0].fieldGroups',
      ],
      ['a narrative missing', { sealed: { threatNarratives: [sealedValue(3)] } }, 'narrative'],
      ['a name in plaintext', { sealed: { fullName: 'Zarghuna Sadat' } }, 'sealed.fullName'],
      ['a time without offset', { data: { submittedAt: '2025-03-01T10:00:00' } }, 'submittedAt'],
      ['a time on no day', { data: { submittedAt: '2025-02-30T10:00:00Z' } }, 'submittedAt'],
      ['no case id', { data: { caseId: '' } }, 'caseId'],
      ['a case id with a separator', { data: { caseId: 'c|1' } }, 'caseId'],
      ['no data key', { data: { dataKeyId: ' ' } }, 'dataKeyId'],
    ])('refuses %s, naming the field and nothing of the data', (_, change, field) => {
      const error = spec.given([]).when(submitWith(change)).thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain(field);
      expect(error.message).not.toContain('Zarghuna');
    });
  });

  describe('ReleasePacket', () => {
    it('releases to a consented recipient type the union of the groups its grants give', () => {
      spec
        .given(submitted)
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .then({
          type: 'PacketReleased',
          data: {
            caseId: 'c-1',
            referralId: 'ref-1',
            recipientOrganisationId: 'org-embassy',
            fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_CONTACT', 'FIELD_GROUP_THREATS'],
            releasedAt: '2025-03-02T08:00:00.000Z',
          },
        });
    });

    it('records every release, a repeated fetch too (each read is audited)', () => {
      const [released] = caseDecider.decide(
        release('RECIPIENT_TYPE_EMERGENCY_FUND'),
        submitted.reduce(caseDecider.evolve, caseDecider.initialState()),
      ) as CaseEvent[];
      spec
        .given([...submitted, released!])
        .when(release('RECIPIENT_TYPE_EMERGENCY_FUND'))
        .then({
          type: 'PacketReleased',
          data: {
            caseId: 'c-1',
            referralId: 'ref-1',
            recipientOrganisationId: 'org-embassy',
            fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'],
            releasedAt: '2025-03-02T08:00:00.000Z',
          },
        });
    });

    it('gives a recipient type outside the consent nothing, in the words of a missing case', () => {
      const outside = spec
        .given(submitted)
        .when(release('RECIPIENT_TYPE_SHELTER_NETWORK'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
      const missing = spec
        .given([])
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
      expect(outside.message).toBe(missing.message);
    });

    it('gives nothing to anyone when the case has no consent', () => {
      const [noConsent] = caseDecider.decide(submitWith({ facts: { consent: [] } }), {
        exists: false,
      }) as CaseEvent[];
      spec
        .given([noConsent!, submitted[1]!])
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('refuses a recipient type outside the vocabulary and a command for another case', () => {
      spec
        .given(submitted)
        .when(release('RECIPIENT_TYPE_UNSPECIFIED'))
        .thenThrows('AMAN_ERR_VALIDATION');
      spec
        .given(submitted)
        .when({
          ...release('RECIPIENT_TYPE_EMBASSY'),
          data: { ...release('x').data, caseId: 'c-2', recipientType: 'RECIPIENT_TYPE_EMBASSY' },
        })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });
  });
});

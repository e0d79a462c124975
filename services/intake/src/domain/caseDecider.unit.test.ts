import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import {
  caseDecider,
  caseStream,
  type CaseEvent,
  type CaseFacts,
  type Consent,
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
    {
      kind: 'THREAT_KIND_DEATH_THREAT',
      occurredOn: '2025-02-20',
      source: 'THREAT_SOURCE_ARMED_GROUP',
      objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
      feasibility: 'FEASIBILITY_HIGH',
      declared: true,
    },
    {
      kind: 'THREAT_KIND_SURVEILLANCE',
      occurredOn: '2025-01-05',
      source: 'THREAT_SOURCE_UNIDENTIFIED',
      objective: 'THREAT_OBJECTIVE_UNCLEAR',
      feasibility: 'FEASIBILITY_LOW',
      declared: false,
    },
  ],
  needs: ['NEED_RELOCATION_ABROAD', 'NEED_DIGITAL_SECURITY'],
  vulnerabilities: { minority: true, disability: false, publicVisibility: true },
  capacities: { supportNetwork: true, relocationOptions: false, digitalSecurity: false },
};

const grants: Consent['grants'] = [
  {
    recipientTypes: ['RECIPIENT_TYPE_EMBASSY', 'RECIPIENT_TYPE_EMERGENCY_FUND'],
    fieldGroups: ['FIELD_GROUP_IDENTITY', 'FIELD_GROUP_THREATS'],
    providerIds: [],
  },
  {
    recipientTypes: ['RECIPIENT_TYPE_EMBASSY'],
    fieldGroups: ['FIELD_GROUP_CONTACT', 'FIELD_GROUP_IDENTITY'],
    providerIds: [],
  },
];

const consent: Consent = {
  grants,
  method: 'CONSENT_METHOD_IN_PERSON',
  obtainedAt: '2025-03-01T09:00:00Z',
};

const submit: SubmitCase = {
  type: 'SubmitCase',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    principalId: 'key-ngo-1',
    idempotencyKey: 'key-1',
    facts,
    consent,
    dataKeyId: 'dk-1',
    sealed: {
      fullName: sealedValue(1),
      phone: sealedValue(2),
      place: '',
      dateOfBirth: sealedValue(5),
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
        {
          kind: 'THREAT_KIND_DEATH_THREAT',
          occurredOn: '2025-02-20',
          source: 'THREAT_SOURCE_ARMED_GROUP',
          objective: 'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
          feasibility: 'FEASIBILITY_HIGH',
          declared: true,
        },
        {
          kind: 'THREAT_KIND_SURVEILLANCE',
          occurredOn: '2025-01-05',
          source: 'THREAT_SOURCE_UNIDENTIFIED',
          objective: 'THREAT_OBJECTIVE_UNCLEAR',
          feasibility: 'FEASIBILITY_LOW',
          declared: false,
        },
      ],
      needs: ['NEED_RELOCATION_ABROAD', 'NEED_DIGITAL_SECURITY'],
      vulnerabilities: facts.vulnerabilities,
      capacities: facts.capacities,
      consent: grants,
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
        dateOfBirth: sealedValue(5),
        threatNarratives: [sealedValue(3), sealedValue(4)],
      },
    },
  },
  {
    type: 'ConsentRecorded',
    data: {
      caseId: 'c-1',
      consent: { ...consent, obtainedAt: '2025-03-01T09:00:00.000Z' },
      recordedBy: 'key-ngo-1',
      recordedAt: '2025-03-01T10:00:00.000Z',
    },
  },
];

function submitWith(change: {
  facts?: Partial<Record<keyof CaseFacts, unknown>>;
  consent?: Partial<Record<keyof Consent, unknown>>;
  data?: Partial<Record<keyof SubmitCase['data'], unknown>>;
  sealed?: Partial<Record<keyof SubmitCase['data']['sealed'], unknown>>;
}): SubmitCase {
  return {
    type: 'SubmitCase',
    data: {
      ...submit.data,
      ...change.data,
      facts: { ...facts, ...change.facts },
      consent: { ...consent, ...change.consent },
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
      const [caseSubmitted] = caseDecider.decide(submitWith({ consent: { grants: [] } }), {
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
        {
          consent: {
            grants: [
              { recipientTypes: [], fieldGroups: ['FIELD_GROUP_IDENTITY'], providerIds: [] },
            ],
          },
        },
        'consent.grants[0]',
      ],
      [
        'a grant of no field group',
        {
          consent: {
            grants: [
              { recipientTypes: ['RECIPIENT_TYPE_MEDICAL'], fieldGroups: [], providerIds: [] },
            ],
          },
        },
        'consent.grants[0].fieldGroups',
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

    const refusal = (recipientType: string, reason: string): CaseEvent => ({
      type: 'PacketRefused',
      data: {
        caseId: 'c-1',
        referralId: 'ref-1',
        recipientOrganisationId: 'org-embassy',
        recipientType,
        reason,
        refusedAt: '2025-03-02T08:00:00.000Z',
      } as never,
    });

    it('gives a recipient outside the consent nothing, and audits the refusal', () => {
      spec
        .given(submitted)
        .when(release('RECIPIENT_TYPE_SHELTER_NETWORK'))
        .then(refusal('RECIPIENT_TYPE_SHELTER_NETWORK', 'no_consent'));
      spec.given([]).when(release('RECIPIENT_TYPE_EMBASSY')).thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('gives nothing to anyone when the case has no consent', () => {
      const noConsent = caseDecider.decide(submitWith({ consent: { grants: [] } }), {
        exists: false,
      }) as CaseEvent[];
      spec
        .given(noConsent)
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .then(refusal('RECIPIENT_TYPE_EMBASSY', 'no_consent'));
    });

    it('releases to a provider named in the consent, whatever its type', () => {
      const named = caseDecider.decide(
        submitWith({
          consent: {
            grants: [
              {
                recipientTypes: [],
                fieldGroups: ['FIELD_GROUP_CONTACT'],
                providerIds: ['org-embassy'],
              },
            ],
          },
        }),
        { exists: false },
      ) as CaseEvent[];
      const [released] = caseDecider.decide(
        release('RECIPIENT_TYPE_SHELTER_NETWORK'),
        named.reduce(caseDecider.evolve, caseDecider.initialState()),
      ) as CaseEvent[];
      expect(released).toMatchObject({
        type: 'PacketReleased',
        data: { fieldGroups: ['FIELD_GROUP_CONTACT'] },
      });
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

  describe('the case lifecycle', () => {
    const by = { caseId: 'c-1', organisationId: 'org-ngo', principalId: 'key-ngo-2' };
    const at = '2025-03-05T09:00:00Z';
    const stateAfter = (events: readonly CaseEvent[]) =>
      events.reduce(caseDecider.evolve, caseDecider.initialState());

    it('narrows consent as an event that says so, and providers that lost it get nothing', () => {
      const events = caseDecider.decide(
        {
          type: 'UpdateConsent',
          data: { ...by, consent: { ...consent, grants: [grants[1]!] }, updatedAt: at },
        },
        stateAfter(submitted),
      ) as CaseEvent[];
      expect(events.map((event) => event.type)).toEqual(['ConsentRecorded', 'ConsentUpdated']);
      expect(events[1]).toMatchObject({ data: { narrowed: true, consent: [grants[1]] } });
      expect(events[0]).toMatchObject({ data: { recordedBy: 'key-ngo-2' } });
      spec
        .given([...submitted, ...events])
        .when(release('RECIPIENT_TYPE_EMERGENCY_FUND'))
        .then(expect.objectContaining({ type: 'PacketRefused' }) as unknown as CaseEvent);
    });

    it('widening consent is not narrowing', () => {
      const wider = [...grants, { ...grants[0]!, recipientTypes: ['RECIPIENT_TYPE_MEDICAL'] }];
      const events = caseDecider.decide(
        {
          type: 'UpdateConsent',
          data: {
            ...by,
            consent: { ...consent, grants: wider as Consent['grants'] },
            updatedAt: at,
          },
        },
        stateAfter(submitted),
      ) as CaseEvent[];
      expect(events[1]).toMatchObject({ data: { narrowed: false } });
    });

    it('reports a threat once per idempotency key, and refuses the key for another threat', () => {
      const report = {
        type: 'ReportThreat' as const,
        data: {
          ...by,
          idempotencyKey: 'threat-1',
          threat: { ...facts.threats[0]!, occurredOn: '2025-03-04' },
          narrative: sealedValue(7),
          reportedAt: at,
        },
      };
      const events = caseDecider.decide(report, stateAfter(submitted)) as CaseEvent[];
      expect(events).toMatchObject([
        { type: 'ThreatReported', data: { threat: { occurredOn: '2025-03-04' } } },
        { type: 'ThreatNarrativeSealed', data: { index: 2, idempotencyKey: 'threat-1' } },
      ]);
      spec
        .given([...submitted, ...events])
        .when(report)
        .thenNothingHappened();
      spec
        .given([...submitted, ...events])
        .when({ ...report, data: { ...report.data, threat: facts.threats[1]! } })
        .thenThrows('AMAN_ERR_IDEMPOTENCY_CONFLICT');
      spec
        .given(submitted)
        .when({ ...report, data: { ...report.data, narrative: 'in the clear' } })
        .thenThrows('AMAN_ERR_VALIDATION');
    });

    it("answers another organisation's command as for a missing case", () => {
      const other = spec
        .given(submitted)
        .when({
          type: 'WithdrawCase',
          data: {
            ...by,
            organisationId: 'org-other',
            reason: 'WITHDRAWAL_REASON_SAFE',
            withdrawnAt: at,
          },
        })
        .thenThrows('AMAN_ERR_NOT_FOUND');
      expect(other.message).toBe('no such case');
    });

    it('withdraws once, and a withdrawn case takes no updates and releases nothing', () => {
      const withdraw = {
        type: 'WithdrawCase' as const,
        data: { ...by, reason: 'WITHDRAWAL_REASON_SAFE' as const, withdrawnAt: at },
      };
      const withdrawn = caseDecider.decide(withdraw, stateAfter(submitted)) as CaseEvent[];
      expect(withdrawn).toMatchObject([{ type: 'CaseWithdrawn' }]);
      spec
        .given([...submitted, ...withdrawn])
        .when(withdraw)
        .thenNothingHappened();
      spec
        .given([...submitted, ...withdrawn])
        .when({ type: 'UpdateConsent', data: { ...by, consent, updatedAt: at } })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
      spec
        .given([...submitted, ...withdrawn])
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .then(
          expect.objectContaining({
            data: expect.objectContaining({ reason: 'withdrawn' }),
          }) as unknown as CaseEvent,
        );
    });

    it('erases once; an erased case keeps its facts and releases nothing', () => {
      const erase = { type: 'EraseCase' as const, data: { ...by, erasedAt: at } };
      const erased = caseDecider.decide(erase, stateAfter(submitted)) as CaseEvent[];
      expect(erased).toEqual([
        {
          type: 'CaseErased',
          data: { caseId: 'c-1', organisationId: 'org-ngo', erasedAt: '2025-03-05T09:00:00.000Z' },
        },
      ]);
      spec
        .given([...submitted, ...erased])
        .when(erase)
        .thenNothingHappened();
      const state = stateAfter([...submitted, ...erased]);
      expect(state).toMatchObject({ status: 'erased', facts: { province: 'AF-BAL' } });
      spec
        .given([...submitted, ...erased])
        .when(release('RECIPIENT_TYPE_EMBASSY'))
        .then(
          expect.objectContaining({
            data: expect.objectContaining({ reason: 'erased' }),
          }) as unknown as CaseEvent,
        );
    });

    it('shows a match to the earlier case only, and links only when both NGOs agree', () => {
      const flag = (caseId: string, role: 'holder' | 'submitter') =>
        caseDecider.decide(
          { type: 'FlagDuplicate', data: { caseId, matchId: 'm-1', role, detectedAt: at } },
          stateAfter(submitted),
        ) as CaseEvent[];
      const asSubmitter = flag('c-1', 'submitter');
      const respond = {
        type: 'RespondToDuplicate' as const,
        data: {
          ...by,
          matchId: 'm-1',
          otherCaseId: 'c-9',
          response: 'DUPLICATE_RESPONSE_LINK' as const,
          respondedAt: at,
        },
      };
      // The later NGO cannot even see the match, so it cannot answer it.
      spec
        .given([...submitted, ...asSubmitter])
        .when(respond)
        .thenThrows('AMAN_ERR_NOT_FOUND');
      const asHolder = flag('c-1', 'holder');
      const proposed = caseDecider.decide(
        respond,
        stateAfter([...submitted, ...asHolder]),
      ) as CaseEvent[];
      expect(proposed).toMatchObject([
        {
          type: 'DuplicateMatchChanged',
          data: { status: 'link_proposed', by: 'this_organisation' },
        },
      ]);
      expect(proposed[0]?.data).not.toHaveProperty('linkedCaseId');
      // Asking again is a retry.
      spec
        .given([...submitted, ...asHolder, ...proposed])
        .when(respond)
        .thenNothingHappened();
      // The other NGO's agreement reaches this case: linked, and only now it learns the other case.
      const linked = caseDecider.decide(
        {
          type: 'RecordMatchChange',
          data: {
            caseId: 'c-1',
            matchId: 'm-1',
            status: 'linked',
            linkedCaseId: 'c-9',
            changedAt: at,
          },
        },
        stateAfter([...submitted, ...asHolder, ...proposed]),
      ) as CaseEvent[];
      const state = stateAfter([...submitted, ...asHolder, ...proposed, ...linked]);
      expect(state.exists && state.duplicates.get('m-1')).toMatchObject({
        status: 'DUPLICATE_MATCH_STATUS_LINKED',
        linkedCaseId: 'c-9',
      });
    });
  });
});

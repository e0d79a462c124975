import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { incidentDecider, incidentStream } from './incident.ts';
import type {
  IdempotencyKeyUsed,
  IncidentDocumented,
  IncidentRecorded,
  IncidentVerificationChanged,
  RecordIncident,
} from './incident.ts';

const recordIncident: RecordIncident = {
  type: 'RecordIncident',
  data: {
    incidentId: 'inc-1',
    idempotencyKey: 'monitor-2025-03-01-0001',
    occurredOn: '2025-02-27',
    province: 'AF-KAB',
    acts: [
      {
        act: 'ACT_DEATH_THREAT',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
      },
    ],
    sources: [{ type: 'SOURCE_TYPE_VICTIM', reliability: 'SOURCE_RELIABILITY_RELIABLE' }],
    verificationStatus: 'VERIFICATION_STATUS_UNVERIFIED',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T14:30:00+04:30',
  },
};

const documented: IncidentDocumented = {
  type: 'IncidentDocumented',
  data: {
    incidentId: 'inc-1',
    occurredOn: '2025-02-27',
    province: 'AF-KAB',
    acts: [
      {
        act: 'ACT_DEATH_THREAT',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
      },
    ],
    sources: [{ type: 'SOURCE_TYPE_VICTIM', reliability: 'SOURCE_RELIABILITY_RELIABLE' }],
    verificationStatus: 'VERIFICATION_STATUS_UNVERIFIED',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T10:00:00.000Z',
  },
};

const recorded: IncidentRecorded = {
  type: 'IncidentRecorded',
  data: {
    incidentId: 'inc-1',
    caseId: 'case-1',
    act: 'ACT_DEATH_THREAT',
    occurredOn: '2025-02-27',
    province: 'AF-KAB',
    perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
    sourceType: 'SOURCE_TYPE_VICTIM',
    recordedByOrganisationId: 'org-monitor',
    recordedAt: '2025-03-01T10:00:00.000Z',
  },
};

const keyUsed: IdempotencyKeyUsed = {
  type: 'IdempotencyKeyUsed',
  data: { incidentId: 'inc-1', idempotencyKey: 'monitor-2025-03-01-0001' },
};

function withData(data: Partial<RecordIncident['data']>): RecordIncident {
  return { type: 'RecordIncident', data: { ...recordIncident.data, ...data } };
}

const anonymousJournalist = {
  anonymous: {
    profile: 'PROFILE_JOURNALIST',
    gender: 'GENDER_WOMAN',
    province: 'AF-HER',
  },
} as const;

describe('incident', () => {
  const spec = DeciderSpecification.for(incidentDecider);

  it('keeps each incident in its own stream', () => {
    expect(incidentStream('inc-1')).toBe('incident-inc-1');
  });

  it('documents the incident, tells its case, and privately keeps the idempotency key', () => {
    spec.given([]).when(recordIncident).then([documented, recorded, keyUsed]);
  });

  it('tells each case among the victims once, with the gravest act against it', () => {
    const acts = [
      {
        act: 'ACT_HARASSMENT',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
      },
      {
        act: 'ACT_ABDUCTION',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
      },
      {
        act: 'ACT_ASSAULT',
        victim: anonymousJournalist,
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
      },
      {
        act: 'ACT_DEATH_THREAT',
        victim: { caseId: 'case-2' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
      },
    ] as const;
    spec
      .given([])
      .when(withData({ acts }))
      .then([
        { type: 'IncidentDocumented', data: { ...documented.data, acts: [...acts] } },
        {
          type: 'IncidentRecorded',
          data: {
            ...recorded.data,
            act: 'ACT_ABDUCTION',
            perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
          },
        },
        {
          type: 'IncidentRecorded',
          data: {
            ...recorded.data,
            caseId: 'case-2',
            perpetratorCategory: 'PERPETRATOR_CATEGORY_STATE',
          },
        },
        keyUsed,
      ]);
  });

  it('ranks an attack on the family above threats and surveillance, whatever the enum order', () => {
    const acts = [
      {
        act: 'ACT_SURVEILLANCE',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
      },
      {
        act: 'ACT_ATTACK_ON_FAMILY',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
      },
      {
        act: 'ACT_DEATH_THREAT',
        victim: { caseId: 'case-1' },
        perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
      },
    ] as const;
    spec
      .given([])
      .when(withData({ acts }))
      .then([
        { type: 'IncidentDocumented', data: { ...documented.data, acts: [...acts] } },
        {
          type: 'IncidentRecorded',
          data: {
            ...recorded.data,
            act: 'ACT_ATTACK_ON_FAMILY',
            perpetratorCategory: 'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
          },
        },
        keyUsed,
      ]);
  });

  it('publishes nothing for an incident whose victims are all anonymous', () => {
    const acts = [
      {
        act: 'ACT_KILLING',
        victim: anonymousJournalist,
        perpetratorCategory: 'PERPETRATOR_CATEGORY_UNKNOWN',
      },
    ] as const;
    spec
      .given([])
      .when(withData({ acts }))
      .then([
        { type: 'IncidentDocumented', data: { ...documented.data, acts: [...acts] } },
        keyUsed,
      ]);
  });

  it('keeps the sources’ reliability apart from the incident’s verification', () => {
    const sources = [
      { type: 'SOURCE_TYPE_MEDIA', reliability: 'SOURCE_RELIABILITY_UNRELIABLE' },
      { type: 'SOURCE_TYPE_WITNESS', reliability: 'SOURCE_RELIABILITY_HIGHLY_RELIABLE' },
    ] as const;
    spec
      .given([])
      .when(withData({ sources, verificationStatus: 'VERIFICATION_STATUS_CONFIRMED' }))
      .then([
        {
          type: 'IncidentDocumented',
          data: {
            ...documented.data,
            sources: [...sources],
            verificationStatus: 'VERIFICATION_STATUS_CONFIRMED',
          },
        },
        { type: 'IncidentRecorded', data: { ...recorded.data, sourceType: 'SOURCE_TYPE_MEDIA' } },
        keyUsed,
      ]);
  });

  it('takes an incident on the day it is recorded, in the time zone where it happened', () => {
    // 21:30 UTC on 1 March is already 2 March in Kabul.
    const recordedAt = '2025-03-01T21:30:00Z';
    const at = '2025-03-01T21:30:00.000Z';
    spec
      .given([])
      .when(withData({ occurredOn: '2025-03-02', recordedAt }))
      .then([
        { ...documented, data: { ...documented.data, occurredOn: '2025-03-02', recordedAt: at } },
        { ...recorded, data: { ...recorded.data, occurredOn: '2025-03-02', recordedAt: at } },
        keyUsed,
      ]);
  });

  it('decides nothing when the same request is retried, later', () => {
    spec
      .given([documented, recorded, keyUsed])
      .when(withData({ recordedAt: '2025-03-01T12:00:00Z' }))
      .thenNothingHappened();
  });

  it('recognises a retry of an incident recorded before incidents were documented in full', () => {
    spec
      .given([recorded, keyUsed])
      .when(
        withData({
          sources: [{ type: 'SOURCE_TYPE_VICTIM', reliability: 'SOURCE_RELIABILITY_UNKNOWN' }],
        }),
      )
      .thenNothingHappened();
  });

  it('refuses the same idempotency key for a different incident', () => {
    const error = spec
      .given([documented, recorded, keyUsed])
      .when(withData({ acts: [{ ...recordIncident.data.acts[0]!, act: 'ACT_ABDUCTION' }] }))
      .thenThrows('AMAN_ERR_IDEMPOTENCY_CONFLICT');
    expect(error.message).not.toContain('monitor-2025-03-01-0001');
  });

  it('refuses another idempotency key for an incident id already recorded', () => {
    spec
      .given([documented, recorded, keyUsed])
      .when(withData({ idempotencyKey: 'monitor-2025-03-01-0002' }))
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
  });

  const act = recordIncident.data.acts[0]!;
  it.each([
    ['incidentId', { incidentId: '' }],
    ['idempotencyKey', { idempotencyKey: '' }],
    ['idempotencyKey', { idempotencyKey: 'has a space' }],
    ['idempotencyKey', { idempotencyKey: 'k'.repeat(256) }],
    ['acts[0].victim.caseId', { acts: [{ ...act, victim: { caseId: 'Case of Ahmad' } }] }],
    ['acts[0].act', { acts: [{ ...act, act: 'ACT_UNSPECIFIED' as never }] }],
    [
      'acts[0].perpetratorCategory',
      { acts: [{ ...act, perpetratorCategory: 'PERPETRATOR_CATEGORY_NEIGHBOUR' as never }] },
    ],
    [
      'acts[0].victim.anonymous.province',
      {
        acts: [
          {
            ...act,
            victim: { anonymous: { ...anonymousJournalist.anonymous, province: 'Herat' } },
          },
        ],
      },
    ],
    [
      'acts[0].victim.anonymous.profile',
      {
        acts: [
          {
            ...act,
            victim: { anonymous: { ...anonymousJournalist.anonymous, profile: 'Ahmad' as never } },
          },
        ],
      },
    ],
    ['acts[0].victim', { acts: [{ ...act, victim: { name: 'Ahmad' } as never }] }],
    ['acts', { acts: [] }],
    ['sources', { sources: [] }],
    [
      'sources[0].type',
      {
        sources: [
          {
            type: 'SOURCE_TYPE_UNSPECIFIED' as never,
            reliability: 'SOURCE_RELIABILITY_UNKNOWN' as const,
          },
        ],
      },
    ],
    [
      'sources[0].reliability',
      { sources: [{ type: 'SOURCE_TYPE_NGO' as const, reliability: '' as never }] },
    ],
    ['verificationStatus', { verificationStatus: '' as never }],
    ['occurredOn', { occurredOn: '27/02/2025' }],
    ['occurredOn', { occurredOn: '2025-02-30' }],
    ['occurredOn', { occurredOn: '2025-03-03' }],
    ['province', { province: 'Kabul' }],
    ['province', { province: 'af-kab' }],
    ['province', { province: 'AF-KABUL' }],
    ['recordedByOrganisationId', { recordedByOrganisationId: '' }],
    ['recordedAt', { recordedAt: '2025-03-01 10:00' }],
  ] as const)('refuses an invalid %s, naming the field and not the value', (field, data) => {
    const error = spec.given([]).when(withData(data)).thenThrows('AMAN_ERR_VALIDATION');
    expect(error.message).toContain(field);
    for (const value of ['Case of Ahmad', 'Ahmad', 'Herat', 'Kabul']) {
      expect(error.message).not.toContain(value);
    }
  });

  describe('verification', () => {
    const confirm = {
      type: 'SetIncidentVerification',
      data: {
        incidentId: 'inc-1',
        verificationStatus: 'VERIFICATION_STATUS_CONFIRMED',
        changedByOrganisationId: 'org-monitor-2',
        changedAt: '2025-03-05T08:00:00Z',
      },
    } as const;
    const confirmed: IncidentVerificationChanged = {
      type: 'IncidentVerificationChanged',
      data: { ...confirm.data, changedAt: '2025-03-05T08:00:00.000Z' },
    };

    it('changes how far the incident is established, leaving its sources as they were', () => {
      spec.given([documented, recorded, keyUsed]).when(confirm).then([confirmed]);
      const state = [documented, recorded, keyUsed, confirmed].reduce(
        incidentDecider.evolve,
        incidentDecider.initialState(),
      );
      expect(state).toMatchObject({
        incident: {
          verificationStatus: 'VERIFICATION_STATUS_CONFIRMED',
          sources: documented.data.sources,
        },
      });
    });

    it('decides nothing when the status is already so', () => {
      spec.given([documented, recorded, keyUsed, confirmed]).when(confirm).thenNothingHappened();
    });

    it('refuses an incident not recorded, and an unknown status', () => {
      spec.given([]).when(confirm).thenThrows('AMAN_ERR_ILLEGAL_STATE');
      spec
        .given([documented])
        .when({ ...confirm, data: { ...confirm.data, verificationStatus: 'TRUE' as never } })
        .thenThrows('AMAN_ERR_VALIDATION');
    });
  });

  it('remembers the incident and its key', () => {
    const state = [documented, recorded, keyUsed].reduce(
      incidentDecider.evolve,
      incidentDecider.initialState(),
    );
    expect(state).toEqual({
      status: 'RECORDED',
      incident: documented.data,
      idempotencyKey: 'monitor-2025-03-01-0001',
    });
  });
});

describe('a retry read back from a store', () => {
  it('is recognised whatever the order of the stored keys', () => {
    const reordered = {
      ...documented,
      data: Object.fromEntries(Object.entries(documented.data).reverse()),
    } as IncidentDocumented;
    DeciderSpecification.for(incidentDecider)
      .given([reordered, recorded, keyUsed])
      .when(recordIncident)
      .thenNothingHappened();
  });
});

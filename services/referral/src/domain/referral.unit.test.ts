import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { mayReadPacket, referralDecider, referralStream } from './referral.ts';
import type {
  ReferralEvent,
  ReferralRouted,
  ReferralStatusChanged,
  Respond,
  RouteReferral,
} from './referral.ts';
import type { ReferralAction, ReferralStatus } from './vocabulary.ts';

const PROVIDER = 'org-legal';

const routeReferral: RouteReferral = {
  type: 'RouteReferral',
  data: {
    referralId: 'ref-1',
    caseId: 'case-1',
    providerOrganisationId: PROVIDER,
    organisationId: 'org-ngo',
    recipientType: 'RECIPIENT_TYPE_LEGAL_AID',
    reasons: ['serves NEED_LEGAL_AID', 'takes RISK_LEVEL_HIGH cases'],
    deadlineClass: 'DEADLINE_CLASS_URGENT',
    routedAt: '2025-03-01T10:00:00Z',
  },
};

const routed: ReferralRouted = {
  type: 'ReferralRouted',
  data: {
    referralId: 'ref-1',
    caseId: 'case-1',
    providerOrganisationId: PROVIDER,
    organisationId: 'org-ngo',
    recipientType: 'RECIPIENT_TYPE_LEGAL_AID',
    reasons: ['serves NEED_LEGAL_AID', 'takes RISK_LEVEL_HIGH cases'],
    deadlineClass: 'DEADLINE_CLASS_URGENT',
    respondBy: '2025-03-04T10:00:00.000Z',
    routedAt: '2025-03-01T10:00:00.000Z',
  },
};

function changed(status: ReferralStatus, changedAt: string, reason = ''): ReferralStatusChanged {
  return {
    type: 'ReferralStatusChanged',
    data: {
      referralId: 'ref-1',
      caseId: 'case-1',
      providerOrganisationId: PROVIDER,
      organisationId: 'org-ngo',
      status,
      reason,
      changedAt,
    },
  };
}

const delivered = changed('REFERRAL_STATUS_DELIVERED', '2025-03-01T10:00:05.000Z');
const acknowledged = changed('REFERRAL_STATUS_ACKNOWLEDGED', '2025-03-01T11:00:00.000Z');
const accepted = changed('REFERRAL_STATUS_ACCEPTED', '2025-03-02T09:00:00.000Z');
const declined = changed('REFERRAL_STATUS_DECLINED', '2025-03-02T09:00:00.000Z', 'no capacity');
const completed = changed('REFERRAL_STATUS_COMPLETED', '2025-04-01T09:00:00.000Z');

const history: Record<ReferralStatus, readonly ReferralEvent[]> = {
  REFERRAL_STATUS_ROUTED: [routed],
  REFERRAL_STATUS_DELIVERED: [routed, delivered],
  REFERRAL_STATUS_ACKNOWLEDGED: [routed, delivered, acknowledged],
  REFERRAL_STATUS_ACCEPTED: [routed, delivered, acknowledged, accepted],
  REFERRAL_STATUS_DECLINED: [routed, delivered, acknowledged, declined],
  REFERRAL_STATUS_COMPLETED: [routed, delivered, acknowledged, accepted, completed],
};

function respond(action: ReferralAction, at: string, reason = '', caller = PROVIDER): Respond {
  return { type: 'Respond', data: { action, reason, providerOrganisationId: caller, at } };
}

const deliver = { type: 'RecordDelivery', data: { at: '2025-03-01T10:00:05Z' } } as const;

describe('referral', () => {
  const spec = DeciderSpecification.for(referralDecider);

  it('keeps each referral in its own stream', () => {
    expect(referralStream('ref-1')).toBe('referral-ref-1');
  });

  describe('routing', () => {
    it('routes a referral with the deadline its class gives', () => {
      spec.given([]).when(routeReferral).then(routed);
    });

    it('gives an emergency a day', () => {
      spec
        .given([])
        .when({
          ...routeReferral,
          data: { ...routeReferral.data, deadlineClass: 'DEADLINE_CLASS_EMERGENCY' },
        })
        .then({
          ...routed,
          data: {
            ...routed.data,
            deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
            respondBy: '2025-03-02T10:00:00.000Z',
          },
        });
    });

    it('decides nothing when the same case is routed to the same provider again', () => {
      const again = {
        ...routeReferral,
        data: {
          ...routeReferral.data,
          routedAt: '2025-03-01T10:05:00Z',
          reasons: ['serves NEED_LEGAL_AID'],
        },
      };
      spec.given([routed]).when(again).thenNothingHappened();
      spec.given(history.REFERRAL_STATUS_DECLINED).when(again).thenNothingHappened();
    });

    it.each([
      ['another case', { caseId: 'case-2' }],
      ['another provider', { providerOrganisationId: 'org-other' }],
      ['another NGO', { organisationId: 'org-other' }],
    ])('refuses to reuse a referral id for %s', (_, data) => {
      spec
        .given([routed])
        .when({ ...routeReferral, data: { ...routeReferral.data, ...data } })
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it.each([
      ['no reasons', { reasons: [] }],
      ['an empty reason', { reasons: ['  '] }],
      ['a reason over two lines', { reasons: ['serves\nNEED_LEGAL_AID'] }],
      ['an unspecified deadline class', { deadlineClass: 'DEADLINE_CLASS_UNSPECIFIED' as never }],
      ['an unknown recipient type', { recipientType: 'RECIPIENT_TYPE_FRIEND' as never }],
      ['a routing time that is not a timestamp', { routedAt: '1 March 2025' }],
      ['an empty case id', { caseId: '' }],
    ])('refuses %s', (_, data) => {
      spec
        .given([])
        .when({ ...routeReferral, data: { ...routeReferral.data, ...data } })
        .thenThrows('AMAN_ERR_VALIDATION');
    });
  });

  describe('delivery', () => {
    it('marks a routed referral delivered', () => {
      spec.given([routed]).when(deliver).then(delivered);
    });

    it.each([
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_DECLINED',
    ] as const)('decides nothing on a second delivery (referral %s)', (status) => {
      spec.given(history[status]).when(deliver).thenNothingHappened();
    });

    it('does not deliver a referral that was never routed', () => {
      spec.given([]).when(deliver).thenThrows('AMAN_ERR_NOT_FOUND');
    });
  });

  describe("the provider's answers", () => {
    it('acknowledges a delivered referral', () => {
      spec
        .given(history.REFERRAL_STATUS_DELIVERED)
        .when(respond('REFERRAL_ACTION_ACKNOWLEDGE', '2025-03-01T11:00:00Z'))
        .then(acknowledged);
    });

    it('accepts an acknowledged referral', () => {
      spec
        .given(history.REFERRAL_STATUS_ACKNOWLEDGED)
        .when(respond('REFERRAL_ACTION_ACCEPT', '2025-03-02T09:00:00Z'))
        .then(accepted);
    });

    it('declines an acknowledged referral with a reason', () => {
      spec
        .given(history.REFERRAL_STATUS_ACKNOWLEDGED)
        .when(respond('REFERRAL_ACTION_DECLINE', '2025-03-02T09:00:00Z', ' no capacity '))
        .then(declined);
    });

    it('refuses a decline without a reason', () => {
      const error = spec
        .given(history.REFERRAL_STATUS_ACKNOWLEDGED)
        .when(respond('REFERRAL_ACTION_DECLINE', '2025-03-02T09:00:00Z', ' '))
        .thenThrows('AMAN_ERR_VALIDATION');
      expect(error.message).toContain('reason');
    });

    it('completes an accepted referral', () => {
      spec
        .given(history.REFERRAL_STATUS_ACCEPTED)
        .when(respond('REFERRAL_ACTION_COMPLETE', '2025-04-01T09:00:00Z'))
        .then(completed);
    });

    it.each([
      ['REFERRAL_STATUS_ACKNOWLEDGED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_ACCEPTED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_DECLINED', 'REFERRAL_ACTION_DECLINE'],
      ['REFERRAL_STATUS_COMPLETED', 'REFERRAL_ACTION_COMPLETE'],
    ] as const)('decides nothing when a %s referral takes %s again', (status, action) => {
      spec
        .given(history[status])
        .when(respond(action, '2025-05-01T09:00:00Z', 'another reason'))
        .thenNothingHappened();
    });

    // Everything the transition table does not allow, beyond repeating the current step.
    it.each([
      ['REFERRAL_STATUS_ROUTED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_ROUTED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_ROUTED', 'REFERRAL_ACTION_DECLINE'],
      ['REFERRAL_STATUS_ROUTED', 'REFERRAL_ACTION_COMPLETE'],
      ['REFERRAL_STATUS_DELIVERED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_DELIVERED', 'REFERRAL_ACTION_DECLINE'],
      ['REFERRAL_STATUS_DELIVERED', 'REFERRAL_ACTION_COMPLETE'],
      ['REFERRAL_STATUS_ACKNOWLEDGED', 'REFERRAL_ACTION_COMPLETE'],
      ['REFERRAL_STATUS_ACCEPTED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_ACCEPTED', 'REFERRAL_ACTION_DECLINE'],
      ['REFERRAL_STATUS_DECLINED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_DECLINED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_DECLINED', 'REFERRAL_ACTION_COMPLETE'],
      ['REFERRAL_STATUS_COMPLETED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_COMPLETED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_COMPLETED', 'REFERRAL_ACTION_DECLINE'],
    ] as const)('refuses %s → %s', (status, action) => {
      spec
        .given(history[status])
        .when(respond(action, '2025-05-01T09:00:00Z', 'a reason'))
        .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });

    it("answers another organisation's attempt as if the referral did not exist", () => {
      const fromOther = respond(
        'REFERRAL_ACTION_ACKNOWLEDGE',
        '2025-03-01T11:00:00Z',
        '',
        'org-other',
      );
      const notOurs = spec
        .given(history.REFERRAL_STATUS_DELIVERED)
        .when(fromOther)
        .thenThrows('AMAN_ERR_NOT_FOUND');
      const missing = spec.given([]).when(fromOther).thenThrows('AMAN_ERR_NOT_FOUND');
      expect(notOurs.message).toBe(missing.message);
      // Even where the step would be illegal, the other organisation learns nothing of the state.
      spec
        .given(history.REFERRAL_STATUS_COMPLETED)
        .when(respond('REFERRAL_ACTION_ACCEPT', '2025-05-01T09:00:00Z', '', 'org-other'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('refuses an unspecified action and a time that is not a timestamp', () => {
      spec
        .given(history.REFERRAL_STATUS_DELIVERED)
        .when(respond('REFERRAL_ACTION_UNSPECIFIED' as never, '2025-03-01T11:00:00Z'))
        .thenThrows('AMAN_ERR_VALIDATION');
      spec
        .given(history.REFERRAL_STATUS_DELIVERED)
        .when(respond('REFERRAL_ACTION_ACKNOWLEDGE', 'now'))
        .thenThrows('AMAN_ERR_VALIDATION');
    });
  });

  describe('mayReadPacket', () => {
    const stateAt = (status: ReferralStatus) =>
      history[status].reduce(referralDecider.evolve, referralDecider.initialState());

    it.each([
      ['REFERRAL_STATUS_ROUTED', true],
      ['REFERRAL_STATUS_DELIVERED', true],
      ['REFERRAL_STATUS_ACKNOWLEDGED', true],
      ['REFERRAL_STATUS_ACCEPTED', true],
      ['REFERRAL_STATUS_DECLINED', false],
      ['REFERRAL_STATUS_COMPLETED', false],
    ] as const)('lets the provider read the packet of a %s referral: %s', (status, may) => {
      expect(mayReadPacket(stateAt(status), PROVIDER)).toBe(may);
    });

    it('never lets another organisation read it', () => {
      expect(mayReadPacket(stateAt('REFERRAL_STATUS_ACCEPTED'), 'org-other')).toBe(false);
      expect(mayReadPacket(stateAt('REFERRAL_STATUS_ACCEPTED'), 'org-ngo')).toBe(false);
      expect(mayReadPacket(referralDecider.initialState(), PROVIDER)).toBe(false);
    });
  });
});

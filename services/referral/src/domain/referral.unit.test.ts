import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { mayReadPacket, noticesOwed, referralDecider, referralStream } from './referral.ts';
import type {
  ErasureRequested,
  ProviderNotified,
  RecordDelivery,
  ReferralEvent,
  ReferralRouted,
  ReferralStatusChanged,
  Respond,
  Revoke,
  RouteReferral,
} from './referral.ts';
import type { Notice, ReferralAction, ReferralStatus, RevocationReason } from './vocabulary.ts';

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
    acknowledgeWithinSeconds: 0,
    decideWithinSeconds: 0,
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
    programmeId: '',
    criteriaVersion: 0,
    acknowledgeBy: '2025-03-04T10:00:00.000Z',
    decideBy: '2025-03-07T10:00:00.000Z',
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
const infoRequested = changed('REFERRAL_STATUS_INFO_REQUESTED', '2025-03-02T08:00:00.000Z');
const inProgress = changed('REFERRAL_STATUS_IN_PROGRESS', '2025-03-10T09:00:00.000Z');
const closed = changed('REFERRAL_STATUS_CLOSED', '2025-03-20T09:00:00.000Z', 'unreachable');
const expired = changed(
  'REFERRAL_STATUS_EXPIRED',
  '2025-03-04T10:00:00.000Z',
  'acknowledgement_missed',
);
const revokedAt = '2025-03-03T08:00:00.000Z';
const revoked = (reason: RevocationReason) => changed('REFERRAL_STATUS_REVOKED', revokedAt, reason);

const history: Record<ReferralStatus, readonly ReferralEvent[]> = {
  REFERRAL_STATUS_ROUTED: [routed],
  REFERRAL_STATUS_DELIVERED: [routed, delivered],
  REFERRAL_STATUS_ACKNOWLEDGED: [routed, delivered, acknowledged],
  REFERRAL_STATUS_ACCEPTED: [routed, delivered, acknowledged, accepted],
  REFERRAL_STATUS_DECLINED: [routed, delivered, acknowledged, declined],
  REFERRAL_STATUS_COMPLETED: [routed, delivered, acknowledged, accepted, completed],
  REFERRAL_STATUS_REVOKED: [routed, delivered, revoked('consent_withdrawn')],
  REFERRAL_STATUS_INFO_REQUESTED: [routed, delivered, acknowledged, infoRequested],
  REFERRAL_STATUS_IN_PROGRESS: [routed, delivered, acknowledged, accepted, inProgress],
  REFERRAL_STATUS_CLOSED: [routed, delivered, acknowledged, accepted, closed],
  REFERRAL_STATUS_EXPIRED: [routed, expired],
};

function respond(action: ReferralAction, at: string, reason = '', caller = PROVIDER): Respond {
  return { type: 'Respond', data: { action, reason, providerOrganisationId: caller, at } };
}

const deliver = (
  notice: Notice = 'referral.routed',
  at = '2025-03-01T10:00:05Z',
): RecordDelivery => ({
  type: 'RecordDelivery',
  data: { notice, at },
});

const revoke = (reason: RevocationReason, at = '2025-03-03T08:00:00Z'): Revoke => ({
  type: 'Revoke',
  data: { reason, at },
});

const erasureRequested: ErasureRequested = {
  type: 'ErasureRequested',
  data: {
    referralId: 'ref-1',
    caseId: 'case-1',
    providerOrganisationId: PROVIDER,
    organisationId: 'org-ngo',
    requestedAt: revokedAt,
  },
};

const notified = (notice: Notice, notifiedAt = '2025-03-03T08:00:01.000Z'): ProviderNotified => ({
  type: 'ProviderNotified',
  data: { referralId: 'ref-1', notice, notifiedAt },
});

const OPEN = [
  'REFERRAL_STATUS_ROUTED',
  'REFERRAL_STATUS_DELIVERED',
  'REFERRAL_STATUS_ACKNOWLEDGED',
  'REFERRAL_STATUS_ACCEPTED',
  'REFERRAL_STATUS_INFO_REQUESTED',
  'REFERRAL_STATUS_IN_PROGRESS',
] as const;
const ENDED = [
  'REFERRAL_STATUS_DECLINED',
  'REFERRAL_STATUS_COMPLETED',
  'REFERRAL_STATUS_REVOKED',
  'REFERRAL_STATUS_CLOSED',
  'REFERRAL_STATUS_EXPIRED',
] as const;
const REASONS = ['consent_withdrawn', 'case_withdrawn', 'case_erased'] as const;

const stateAfter = (events: readonly ReferralEvent[]) =>
  events.reduce(referralDecider.evolve, referralDecider.initialState());

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
            acknowledgeBy: '2025-03-02T10:00:00.000Z',
            decideBy: '2025-03-03T10:00:00.000Z',
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
      spec.given([routed]).when(deliver()).then(delivered);
    });

    it.each([
      'REFERRAL_STATUS_DELIVERED',
      'REFERRAL_STATUS_ACKNOWLEDGED',
      'REFERRAL_STATUS_DECLINED',
    ] as const)('decides nothing on a second delivery (referral %s)', (status) => {
      spec.given(history[status]).when(deliver()).thenNothingHappened();
    });

    it('does not mark a referral delivered once it was revoked (a late 2xx)', () => {
      spec
        .given([routed, revoked('case_withdrawn')])
        .when(deliver())
        .thenNothingHappened();
    });

    it('does not deliver a referral that was never routed', () => {
      spec.given([]).when(deliver()).thenThrows('AMAN_ERR_NOT_FOUND');
    });

    it('refuses a notice it does not know', () => {
      spec
        .given([routed])
        .when(deliver('referral.expired' as never))
        .thenThrows('AMAN_ERR_VALIDATION');
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
      ['REFERRAL_STATUS_REVOKED', 'REFERRAL_ACTION_ACKNOWLEDGE'],
      ['REFERRAL_STATUS_REVOKED', 'REFERRAL_ACTION_ACCEPT'],
      ['REFERRAL_STATUS_REVOKED', 'REFERRAL_ACTION_DECLINE'],
      ['REFERRAL_STATUS_REVOKED', 'REFERRAL_ACTION_COMPLETE'],
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

  describe('revocation', () => {
    const open = OPEN.flatMap((status) => REASONS.map((reason) => [status, reason] as const));

    it.each(open)('revokes a %s referral for %s', (status, reason) => {
      spec
        .given(history[status])
        .when(revoke(reason))
        .then(changed('REFERRAL_STATUS_REVOKED', revokedAt, reason));
    });

    it.each(
      ENDED.flatMap((status) =>
        (['consent_withdrawn', 'case_withdrawn'] as const).map(
          (reason) => [status, reason] as const,
        ),
      ),
    )('leaves a %s referral as it ended on %s', (status, reason) => {
      spec.given(history[status]).when(revoke(reason)).thenNothingHappened();
    });

    it.each(ENDED)(
      'asks the provider of a %s referral to delete its copies of an erased case, once',
      (status) => {
        spec.given(history[status]).when(revoke('case_erased')).then(erasureRequested);
        spec
          .given([...history[status], erasureRequested])
          .when(revoke('case_erased', '2025-03-04T08:00:00Z'))
          .thenNothingHappened();
      },
    );

    it('does not ask again when the erasure itself revoked the referral', () => {
      spec
        .given([routed, revoked('case_erased')])
        .when(revoke('case_erased', '2025-03-04T08:00:00Z'))
        .thenNothingHappened();
    });

    it('decides nothing for a referral that was never routed', () => {
      spec.given([]).when(revoke('case_erased')).thenNothingHappened();
    });

    it('refuses an unknown reason and a time that is not a timestamp', () => {
      spec
        .given([routed])
        .when(revoke('provider_asked' as never))
        .thenThrows('AMAN_ERR_VALIDATION');
      spec.given([routed]).when(revoke('case_withdrawn', 'now')).thenThrows('AMAN_ERR_VALIDATION');
    });
  });

  describe('notices owed to the provider', () => {
    it('owes nothing to a referral that was not revoked nor erased', () => {
      expect(noticesOwed(stateAfter(history.REFERRAL_STATUS_COMPLETED))).toEqual({
        revocation: undefined,
        erasure: undefined,
      });
      expect(noticesOwed(referralDecider.initialState())).toEqual({
        revocation: undefined,
        erasure: undefined,
      });
    });

    it.each([
      ['consent_withdrawn', 'referral.revoked'],
      ['case_withdrawn', 'referral.revoked'],
      ['case_erased', 'case.erased'],
    ] as const)('owes a revocation for %s as %s, until it is delivered', (reason, notice) => {
      const given = [routed, delivered, revoked(reason)];
      expect(noticesOwed(stateAfter(given)).revocation).toEqual({ notice, reason, at: revokedAt });
      spec.given(given).when(deliver(notice, '2025-03-03T08:00:01Z')).then(notified(notice));
      expect(noticesOwed(stateAfter([...given, notified(notice)])).revocation).toBeUndefined();
      spec
        .given([...given, notified(notice)])
        .when(deliver(notice))
        .thenNothingHappened();
    });

    it('owes the erasure of an ended referral apart from its earlier revocation', () => {
      const given = [...history.REFERRAL_STATUS_REVOKED, erasureRequested];
      expect(noticesOwed(stateAfter(given))).toEqual({
        revocation: { notice: 'referral.revoked', reason: 'consent_withdrawn', at: revokedAt },
        erasure: { notice: 'case.erased', reason: 'case_erased', at: revokedAt },
      });
      const revocationTold = [...given, notified('referral.revoked')];
      expect(noticesOwed(stateAfter(revocationTold))).toEqual({
        revocation: undefined,
        erasure: { notice: 'case.erased', reason: 'case_erased', at: revokedAt },
      });
      spec
        .given(revocationTold)
        .when(deliver('case.erased', '2025-03-03T08:00:01Z'))
        .then(notified('case.erased'));
    });

    it('records no notice that is not owed', () => {
      spec
        .given(history.REFERRAL_STATUS_COMPLETED)
        .when(deliver('case.erased'))
        .thenNothingHappened();
      spec
        .given([routed, revoked('case_erased')])
        .when(deliver('referral.revoked'))
        .thenNothingHappened();
    });
  });

  describe('mayReadPacket', () => {
    const stateAt = (status: ReferralStatus) => stateAfter(history[status]);

    it.each([
      ['REFERRAL_STATUS_ROUTED', true],
      ['REFERRAL_STATUS_DELIVERED', true],
      ['REFERRAL_STATUS_ACKNOWLEDGED', true],
      ['REFERRAL_STATUS_ACCEPTED', true],
      ['REFERRAL_STATUS_DECLINED', false],
      ['REFERRAL_STATUS_COMPLETED', false],
      ['REFERRAL_STATUS_REVOKED', false],
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

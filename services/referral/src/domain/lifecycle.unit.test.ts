import { describe, expect, it } from '@jest/globals';

import { DeciderSpecification } from '@aman/testing';

import { AWAITING, FINAL, referralDecider } from './referral.ts';
import type {
  ReferralEvent,
  ReferralRouted,
  ReferralState,
  ReferralStatusChanged,
  Respond,
} from './referral.ts';
import { REFERRAL_ACTIONS, REFERRAL_STATUSES } from './vocabulary.ts';
import type { ReferralAction, ReferralStatus } from './vocabulary.ts';

/**
 * Issue 9's transition table, written out again here rather than read from the decider, so that
 * a decider that drifts from the issue fails. Provider actions only; the NGO's answer, expiry and
 * revocation have tests of their own below.
 */
const TABLE: Readonly<Record<ReferralStatus, Partial<Record<ReferralAction, ReferralStatus>>>> = {
  REFERRAL_STATUS_ROUTED: {},
  REFERRAL_STATUS_DELIVERED: { REFERRAL_ACTION_ACKNOWLEDGE: 'REFERRAL_STATUS_ACKNOWLEDGED' },
  REFERRAL_STATUS_ACKNOWLEDGED: {
    REFERRAL_ACTION_ACCEPT: 'REFERRAL_STATUS_ACCEPTED',
    REFERRAL_ACTION_DECLINE: 'REFERRAL_STATUS_DECLINED',
    REFERRAL_ACTION_REQUEST_INFO: 'REFERRAL_STATUS_INFO_REQUESTED',
  },
  REFERRAL_STATUS_INFO_REQUESTED: { REFERRAL_ACTION_DECLINE: 'REFERRAL_STATUS_DECLINED' },
  REFERRAL_STATUS_ACCEPTED: {
    REFERRAL_ACTION_REPORT_PROGRESS: 'REFERRAL_STATUS_IN_PROGRESS',
    REFERRAL_ACTION_COMPLETE: 'REFERRAL_STATUS_COMPLETED',
    REFERRAL_ACTION_CLOSE: 'REFERRAL_STATUS_CLOSED',
  },
  REFERRAL_STATUS_IN_PROGRESS: {
    REFERRAL_ACTION_COMPLETE: 'REFERRAL_STATUS_COMPLETED',
    REFERRAL_ACTION_CLOSE: 'REFERRAL_STATUS_CLOSED',
  },
  REFERRAL_STATUS_COMPLETED: {},
  REFERRAL_STATUS_DECLINED: {},
  REFERRAL_STATUS_CLOSED: {},
  REFERRAL_STATUS_REVOKED: {},
  REFERRAL_STATUS_EXPIRED: {},
};

const PROVIDER = 'org-fund';
const ROUTED_AT = '2025-03-01T10:00:00.000Z';
const ACK_BY = '2025-03-02T10:00:00.000Z';
const DECIDE_BY = '2025-03-04T10:00:00.000Z';

const routed: ReferralRouted = {
  type: 'ReferralRouted',
  data: {
    referralId: 'ref-9',
    caseId: 'case-9',
    providerOrganisationId: PROVIDER,
    organisationId: 'org-ngo',
    recipientType: 'RECIPIENT_TYPE_EMERGENCY_FUND',
    reasons: ['serves NEED_EMERGENCY_GRANT'],
    deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
    respondBy: ACK_BY,
    routedAt: ROUTED_AT,
    programmeId: 'grant-2025',
    criteriaVersion: 2,
    acknowledgeBy: ACK_BY,
    decideBy: DECIDE_BY,
  },
};

const ids = {
  referralId: 'ref-9',
  caseId: 'case-9',
  providerOrganisationId: PROVIDER,
  organisationId: 'org-ngo',
};

function changed(status: ReferralStatus, changedAt: string, reason = ''): ReferralStatusChanged {
  return { type: 'ReferralStatusChanged', data: { ...ids, status, reason, changedAt } };
}

/** One way to reach each status, each step an hour after the one before. */
const PATH: Readonly<Record<ReferralStatus, readonly ReferralStatus[]>> = {
  REFERRAL_STATUS_ROUTED: [],
  REFERRAL_STATUS_DELIVERED: ['REFERRAL_STATUS_DELIVERED'],
  REFERRAL_STATUS_ACKNOWLEDGED: ['REFERRAL_STATUS_DELIVERED', 'REFERRAL_STATUS_ACKNOWLEDGED'],
  REFERRAL_STATUS_INFO_REQUESTED: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_INFO_REQUESTED',
  ],
  REFERRAL_STATUS_ACCEPTED: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_ACCEPTED',
  ],
  REFERRAL_STATUS_IN_PROGRESS: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_ACCEPTED',
    'REFERRAL_STATUS_IN_PROGRESS',
  ],
  REFERRAL_STATUS_COMPLETED: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_ACCEPTED',
    'REFERRAL_STATUS_COMPLETED',
  ],
  REFERRAL_STATUS_DECLINED: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_DECLINED',
  ],
  REFERRAL_STATUS_CLOSED: [
    'REFERRAL_STATUS_DELIVERED',
    'REFERRAL_STATUS_ACKNOWLEDGED',
    'REFERRAL_STATUS_ACCEPTED',
    'REFERRAL_STATUS_CLOSED',
  ],
  REFERRAL_STATUS_REVOKED: ['REFERRAL_STATUS_REVOKED'],
  REFERRAL_STATUS_EXPIRED: ['REFERRAL_STATUS_EXPIRED'],
};

const hourAfterRouting = (hours: number) =>
  new Date(Date.parse(ROUTED_AT) + hours * 3_600_000).toISOString();

function historyOf(status: ReferralStatus): ReferralEvent[] {
  return [
    routed,
    ...PATH[status].map((step, index) =>
      changed(
        step,
        hourAfterRouting(index + 1),
        step === 'REFERRAL_STATUS_DECLINED' || step === 'REFERRAL_STATUS_CLOSED'
          ? 'a reason'
          : step === 'REFERRAL_STATUS_REVOKED'
            ? 'consent_withdrawn'
            : step === 'REFERRAL_STATUS_EXPIRED'
              ? 'acknowledgement_missed'
              : '',
      ),
    ),
  ];
}

const AT = '2025-03-01T20:00:00.000Z';

function respond(action: ReferralAction, reason = 'a reason'): Respond {
  return { type: 'Respond', data: { action, reason, providerOrganisationId: PROVIDER, at: AT } };
}

const stateAfter = (events: readonly ReferralEvent[]): ReferralState =>
  events.reduce(referralDecider.evolve, referralDecider.initialState());

describe('the referral lifecycle (issue 9)', () => {
  const spec = DeciderSpecification.for(referralDecider);

  describe('every status × every provider action, as the table says', () => {
    const cases = REFERRAL_STATUSES.flatMap((status) =>
      REFERRAL_ACTIONS.map((action) => [status, action] as const),
    );
    it.each(cases)('%s takes %s', (status, action) => {
      const to = TABLE[status][action];
      const given = historyOf(status);
      if (to !== undefined) {
        spec
          .given(given)
          .when(respond(action))
          .then(changed(to, AT, 'a reason'));
        return;
      }
      // Taking the step that led here again is a retry: nothing happens, nothing is refused.
      const isRetry = Object.values(TABLE).some((actions) => actions[action] === status);
      if (isRetry) spec.given(given).when(respond(action)).thenNothingHappened();
      else spec.given(given).when(respond(action)).thenThrows('AMAN_ERR_ILLEGAL_STATE');
    });
  });

  it('keeps the reason of an info request, a category, and requires one to close', () => {
    spec
      .given(historyOf('REFERRAL_STATUS_ACKNOWLEDGED'))
      .when(respond('REFERRAL_ACTION_REQUEST_INFO', ''))
      .then(changed('REFERRAL_STATUS_INFO_REQUESTED', AT));
    spec
      .given(historyOf('REFERRAL_STATUS_ACCEPTED'))
      .when(respond('REFERRAL_ACTION_CLOSE', ''))
      .thenThrows('AMAN_ERR_VALIDATION');
  });

  describe("the NGO's answer to a request for information", () => {
    const answer = (organisationId = 'org-ngo') =>
      ({ type: 'AnswerInfoRequest', data: { organisationId, at: AT } }) as const;

    it('acknowledges the referral again, saying the information was provided', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_INFO_REQUESTED'))
        .when(answer())
        .then(changed('REFERRAL_STATUS_ACKNOWLEDGED', AT, 'info_provided'));
    });

    it('decides nothing when the answer comes again', () => {
      spec
        .given([
          ...historyOf('REFERRAL_STATUS_INFO_REQUESTED'),
          changed('REFERRAL_STATUS_ACKNOWLEDGED', AT, 'info_provided'),
        ])
        .when(answer())
        .thenNothingHappened();
    });

    it('refuses an answer when nothing was asked', () => {
      for (const status of ['REFERRAL_STATUS_DELIVERED', 'REFERRAL_STATUS_ACCEPTED'] as const) {
        spec.given(historyOf(status)).when(answer()).thenThrows('AMAN_ERR_ILLEGAL_STATE');
      }
    });

    it('answers another NGO as if the referral did not exist', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_INFO_REQUESTED'))
        .when(answer('org-other-ngo'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
    });
  });

  describe('seen: the first fetch of the packet', () => {
    const fetched = (at: string, providerOrganisationId = PROVIDER) =>
      ({ type: 'RecordPacketFetched', data: { providerOrganisationId, at } }) as const;

    it('records the first fetch only, and does not change the status', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when(fetched(AT))
        .then({ type: 'ReferralSeen', data: { ...ids, seenAt: AT } });
      const given: ReferralEvent[] = [
        ...historyOf('REFERRAL_STATUS_DELIVERED'),
        { type: 'ReferralSeen', data: { ...ids, seenAt: AT } },
      ];
      spec.given(given).when(fetched('2025-03-01T21:00:00Z')).thenNothingHappened();
      expect(stateAfter(given)).toMatchObject({ status: 'REFERRAL_STATUS_DELIVERED', seenAt: AT });
    });

    it("refuses another provider's fetch as if the referral did not exist", () => {
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when(fetched(AT, 'org-other'))
        .thenThrows('AMAN_ERR_NOT_FOUND');
    });
  });

  describe('deadlines', () => {
    const miss = (deadline: 'acknowledgement' | 'decision', at: string) =>
      ({ type: 'MissDeadline', data: { deadline, at } }) as const;

    it.each(AWAITING.acknowledgement.in)(
      'expires a %s referral whose acknowledgement is late, and escalates',
      (status) => {
        spec
          .given(historyOf(status))
          .when(miss('acknowledgement', '2025-03-02T10:00:01Z'))
          .then([
            changed(
              'REFERRAL_STATUS_EXPIRED',
              '2025-03-02T10:00:01.000Z',
              'acknowledgement_missed',
            ),
            {
              type: 'ReferralEscalated',
              data: {
                ...ids,
                missed: 'acknowledgement',
                deadline: ACK_BY,
                escalatedAt: '2025-03-02T10:00:01.000Z',
              },
            },
          ]);
      },
    );

    it.each(AWAITING.decision.in)(
      'expires a %s referral whose decision is late, and escalates',
      (status) => {
        spec
          .given(historyOf(status))
          .when(miss('decision', DECIDE_BY))
          .then([
            changed('REFERRAL_STATUS_EXPIRED', DECIDE_BY, 'decision_missed'),
            {
              type: 'ReferralEscalated',
              data: { ...ids, missed: 'decision', deadline: DECIDE_BY, escalatedAt: DECIDE_BY },
            },
          ]);
      },
    );

    it('does nothing before the deadline in force', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when(miss('acknowledgement', '2025-03-02T09:59:59.999Z'))
        .thenNothingHappened();
    });

    it.each(REFERRAL_STATUSES.filter((status) => !AWAITING.acknowledgement.in.includes(status)))(
      'does not expire a %s referral for its acknowledgement',
      (status) => {
        spec
          .given(historyOf(status))
          .when(miss('acknowledgement', '2025-06-01T00:00:00Z'))
          .thenNothingHappened();
      },
    );

    it.each(FINAL)('does not expire a %s referral for its decision', (status) => {
      spec
        .given(historyOf(status))
        .when(miss('decision', '2025-06-01T00:00:00Z'))
        .thenNothingHappened();
    });

    it('fires once: a repeated timer finds the referral expired', () => {
      const expired = [
        ...historyOf('REFERRAL_STATUS_DELIVERED'),
        changed('REFERRAL_STATUS_EXPIRED', ACK_BY, 'acknowledgement_missed'),
      ];
      spec.given(expired).when(miss('acknowledgement', DECIDE_BY)).thenNothingHappened();
      spec.given(expired).when(miss('decision', DECIDE_BY)).thenNothingHappened();
    });

    const tighten = (acknowledgeWithinSeconds: number, decideWithinSeconds: number) =>
      ({
        type: 'TightenDeadlines',
        data: {
          deadlineClass: 'DEADLINE_CLASS_CRITICAL',
          acknowledgeWithinSeconds,
          decideWithinSeconds,
          at: AT,
        },
      }) as const;

    it('brings open deadlines forward on a raised level, counted from the routing', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when(tighten(4 * 3600, 12 * 3600))
        .then({
          type: 'ReferralDeadlinesChanged',
          data: {
            ...ids,
            deadlineClass: 'DEADLINE_CLASS_CRITICAL',
            acknowledgeBy: '2025-03-01T14:00:00.000Z',
            decideBy: '2025-03-01T22:00:00.000Z',
            changedAt: AT,
          },
        });
    });

    it('never moves a deadline back, and leaves ended referrals alone', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when({
          ...tighten(14 * 86_400, 28 * 86_400),
          data: { ...tighten(0, 0).data, deadlineClass: 'DEADLINE_CLASS_NORMAL' },
        })
        .thenNothingHappened();
      spec
        .given(historyOf('REFERRAL_STATUS_COMPLETED'))
        .when(tighten(3600, 7200))
        .thenNothingHappened();
    });

    it('expires by the tightened deadline', () => {
      const tightened: ReferralEvent = {
        type: 'ReferralDeadlinesChanged',
        data: {
          ...ids,
          deadlineClass: 'DEADLINE_CLASS_CRITICAL',
          acknowledgeBy: '2025-03-01T14:00:00.000Z',
          decideBy: '2025-03-01T22:00:00.000Z',
          changedAt: AT,
        },
      };
      spec
        .given([...historyOf('REFERRAL_STATUS_DELIVERED'), tightened])
        .when(miss('acknowledgement', '2025-03-01T14:00:00Z'))
        .then([
          changed('REFERRAL_STATUS_EXPIRED', '2025-03-01T14:00:00.000Z', 'acknowledgement_missed'),
          {
            type: 'ReferralEscalated',
            data: {
              ...ids,
              missed: 'acknowledgement',
              deadline: '2025-03-01T14:00:00.000Z',
              escalatedAt: '2025-03-01T14:00:00.000Z',
            },
          },
        ]);
    });
  });

  describe('a programme that stops taking referrals', () => {
    const note = (status: string, programmeId = 'grant-2025') =>
      ({ type: 'NoteProgrammeStatus', data: { programmeId, status, at: AT } }) as const;
    const told = (status: string): ReferralEvent => ({
      type: 'ReferralProgrammeChanged',
      data: { ...ids, programmeId: 'grant-2025', programmeStatus: status, changedAt: AT },
    });

    it.each(AWAITING.acknowledgement.in.concat(AWAITING.decision.in))(
      'tells the NGO of a %s referral, once per status',
      (status) => {
        spec
          .given(historyOf(status))
          .when(note('PROGRAMME_STATUS_FULL'))
          .then(told('PROGRAMME_STATUS_FULL'));
        spec
          .given([...historyOf(status), told('PROGRAMME_STATUS_FULL')])
          .when(note('PROGRAMME_STATUS_FULL'))
          .thenNothingHappened();
        spec
          .given([...historyOf(status), told('PROGRAMME_STATUS_FULL')])
          .when(note('PROGRAMME_STATUS_CLOSED'))
          .then(told('PROGRAMME_STATUS_CLOSED'));
      },
    );

    it('leaves decided referrals and other programmes alone', () => {
      spec
        .given(historyOf('REFERRAL_STATUS_ACCEPTED'))
        .when(note('PROGRAMME_STATUS_CLOSED'))
        .thenNothingHappened();
      spec
        .given(historyOf('REFERRAL_STATUS_DELIVERED'))
        .when(note('PROGRAMME_STATUS_CLOSED', 'another-programme'))
        .thenNothingHappened();
    });
  });

  it('keeps every step with its time, for the feedback', () => {
    const state = stateAfter([
      ...historyOf('REFERRAL_STATUS_ACCEPTED'),
      { type: 'ReferralSeen', data: { ...ids, seenAt: hourAfterRouting(1.5) } },
    ]);
    expect(state).toMatchObject({
      status: 'REFERRAL_STATUS_ACCEPTED',
      seenAt: hourAfterRouting(1.5),
      steps: [
        { status: 'REFERRAL_STATUS_ROUTED', reason: '', at: ROUTED_AT },
        { status: 'REFERRAL_STATUS_DELIVERED', reason: '', at: hourAfterRouting(1) },
        { status: 'REFERRAL_STATUS_ACKNOWLEDGED', reason: '', at: hourAfterRouting(2) },
        { status: 'REFERRAL_STATUS_ACCEPTED', reason: '', at: hourAfterRouting(3) },
      ],
    });
  });

  it('reads a routing stored before issue 9: no programme, the decision twice as far', () => {
    const old = Object.fromEntries(
      Object.entries(routed.data).filter(
        ([key]) => !['programmeId', 'criteriaVersion', 'acknowledgeBy', 'decideBy'].includes(key),
      ),
    ) as ReferralRouted['data'];
    expect(stateAfter([{ type: 'ReferralRouted', data: old }])).toMatchObject({
      referral: { programmeId: '', criteriaVersion: 0, acknowledgeBy: ACK_BY },
      acknowledgeBy: ACK_BY,
      decideBy: '2025-03-03T10:00:00.000Z',
    });
  });
});

import { idFrom } from '@aman/service-kit';

import type {
  DeadlineClass,
  OwedNotice,
  ReferralRoutedData,
  RevocationReason,
} from '../domain/index.ts';

/**
 * A thin webhook (Standard Webhooks' `type` / `timestamp` / `data` structure): ids, the deadline
 * or the reason only, no case facts and no personal data. The provider fetches the minimised
 * packet through the authenticated API, so every read is audited and a revoked provider gets
 * nothing.
 */
export type ThinNotification =
  RoutedNotification | RevocationNotification | ProgrammeChangedNotification;

/**
 * Every notification type a provider is told (the webhooks' and the pull feed's `type`): the
 * AsyncAPI document's test checks that each one is documented. `satisfies` makes a new type of
 * ThinNotification a compile error here until it is listed.
 */
const EVERY_NOTIFICATION_TYPE = {
  'referral.routed': true,
  'referral.revoked': true,
  'case.erased': true,
  'referral.programme_changed': true,
} as const satisfies Record<ThinNotification['type'], true>;

export const NOTIFICATION_TYPES = Object.keys(
  EVERY_NOTIFICATION_TYPE,
) as readonly ThinNotification['type'][];

/** A referral routed to the provider. */
export type RoutedNotification = {
  readonly type: 'referral.routed';
  /** When the referral was routed: the event's time, not the delivery attempt's. */
  readonly timestamp: string;
  readonly data: {
    readonly referralId: string;
    readonly deadlineClass: DeadlineClass;
    readonly respondBy: string;
  };
};

/**
 * The provider may no longer have the case: `referral.revoked` (stop work, the packet is refused
 * from now on), or `case.erased` (the case was erased: delete whatever was kept of it). The case
 * id lets the provider find its copies; it is an opaque id, not personal data.
 */
export type RevocationNotification = {
  readonly type: OwedNotice['notice'];
  /** When it was decided: the revocation's or the erasure request's time. */
  readonly timestamp: string;
  readonly data: {
    readonly referralId: string;
    readonly caseId: string;
    readonly reason: RevocationReason;
  };
};

/**
 * The programme a pending referral was routed to stopped taking referrals (full, suspended or
 * closed): the provider decides what becomes of the referral, and the NGO was told the same.
 */
export type ProgrammeChangedNotification = {
  readonly type: 'referral.programme_changed';
  readonly timestamp: string;
  readonly data: {
    readonly referralId: string;
    readonly programmeId: string;
    readonly programmeStatus: string;
  };
};

/** The notice of one programme status for one referral has one webhook id, however often told. */
export function programmeChangedNotification(change: {
  readonly referralId: string;
  readonly programmeId: string;
  readonly programmeStatus: string;
  readonly changedAt: string;
}): ProgrammeChangedNotification & { readonly id: string } {
  return {
    id: idFrom('referral.programme_changed', change.referralId, change.programmeStatus),
    type: 'referral.programme_changed',
    timestamp: change.changedAt,
    data: {
      referralId: change.referralId,
      programmeId: change.programmeId,
      programmeStatus: change.programmeStatus,
    },
  };
}

export function routedNotification(
  referral: Pick<ReferralRoutedData, 'referralId' | 'deadlineClass' | 'respondBy' | 'routedAt'>,
): RoutedNotification {
  // Field by field, so that whatever else the argument holds never reaches the provider.
  return {
    type: 'referral.routed',
    timestamp: referral.routedAt,
    data: {
      referralId: referral.referralId,
      deadlineClass: referral.deadlineClass,
      respondBy: referral.respondBy,
    },
  };
}

export function revocationNotification(
  referral: Pick<ReferralRoutedData, 'referralId' | 'caseId'>,
  owed: OwedNotice,
): RevocationNotification {
  return {
    type: owed.notice,
    timestamp: owed.at,
    data: { referralId: referral.referralId, caseId: referral.caseId, reason: owed.reason },
  };
}

import type { DeadlineClass, ReferralRoutedData } from '../domain/index.ts';

/**
 * A thin webhook (Standard Webhooks' `type` / `timestamp` / `data` structure): ids and the
 * deadline only, no case facts and no personal data. The provider fetches the minimised packet
 * through the authenticated API, so every read is audited and a revoked provider gets nothing.
 */
export type ThinNotification = {
  readonly type: 'referral.routed';
  /** When the referral was routed: the event's time, not the delivery attempt's. */
  readonly timestamp: string;
  readonly data: {
    readonly referralId: string;
    readonly deadlineClass: DeadlineClass;
    readonly respondBy: string;
  };
};

export function thinNotification(
  referral: Pick<ReferralRoutedData, 'referralId' | 'deadlineClass' | 'respondBy' | 'routedAt'>,
): ThinNotification {
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

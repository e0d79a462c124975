/**
 * The protection field's vocabularies as the referral rules use them: string literals equal to the
 * protobuf enum names in proto/aman/common/v1 and referral/v1, so event data is the messages' JSON
 * form as it stands. `*_UNSPECIFIED` is never a valid value and is left out.
 */

export {
  NEEDS,
  RECIPIENT_TYPES,
  FIELD_GROUPS,
  RISK_LEVELS,
  DEADLINE_CLASSES,
} from '@aman/contracts/vocabulary';
export type {
  Need,
  RecipientType,
  FieldGroup,
  RiskLevel,
  DeadlineClass,
} from '@aman/contracts/vocabulary';

export const REFERRAL_STATUSES = [
  'REFERRAL_STATUS_ROUTED',
  'REFERRAL_STATUS_DELIVERED',
  'REFERRAL_STATUS_ACKNOWLEDGED',
  'REFERRAL_STATUS_ACCEPTED',
  'REFERRAL_STATUS_DECLINED',
  'REFERRAL_STATUS_COMPLETED',
  'REFERRAL_STATUS_REVOKED',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Why a referral was revoked: ReferralStatusChanged's `reason` for REFERRAL_STATUS_REVOKED. */
export const REVOCATION_REASONS = ['consent_withdrawn', 'case_withdrawn', 'case_erased'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/**
 * What a provider is told by webhook (the Standard Webhooks `type`): a referral routed to it, a
 * referral revoked (stop working on it; the packet is refused from now on), a case erased (delete
 * whatever was kept of it).
 */
export const NOTICES = ['referral.routed', 'referral.revoked', 'case.erased'] as const;
export type Notice = (typeof NOTICES)[number];

export const REFERRAL_ACTIONS = [
  'REFERRAL_ACTION_ACKNOWLEDGE',
  'REFERRAL_ACTION_ACCEPT',
  'REFERRAL_ACTION_DECLINE',
  'REFERRAL_ACTION_COMPLETE',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

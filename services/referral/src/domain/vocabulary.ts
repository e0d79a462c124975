/**
 * The protection field's vocabularies as the referral rules use them: string literals equal to the
 * protobuf enum names in proto/aman/common/v1 and referral/v1, so event data is the messages' JSON
 * form as it stands. `*_UNSPECIFIED` is never a valid value and is left out.
 */

export {
  GENDERS,
  PROFILES,
  NEEDS,
  RECIPIENT_TYPES,
  FIELD_GROUPS,
  RISK_LEVELS,
  DEADLINE_CLASSES,
} from '@aman/contracts/vocabulary';
export type {
  Gender,
  Profile,
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
  'REFERRAL_STATUS_INFO_REQUESTED',
  'REFERRAL_STATUS_IN_PROGRESS',
  'REFERRAL_STATUS_CLOSED',
  'REFERRAL_STATUS_EXPIRED',
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

/** Why a referral was revoked: ReferralStatusChanged's `reason` for REFERRAL_STATUS_REVOKED. */
export const REVOCATION_REASONS = ['consent_withdrawn', 'case_withdrawn', 'case_erased'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** The deadlines a referral runs against: the provider's acknowledgement, then its decision. */
export const DEADLINES = ['acknowledgement', 'decision'] as const;
export type Deadline = (typeof DEADLINES)[number];

/** Why a referral expired: ReferralStatusChanged's `reason` for REFERRAL_STATUS_EXPIRED. */
export const EXPIRY_REASONS = ['acknowledgement_missed', 'decision_missed'] as const;
export type ExpiryReason = (typeof EXPIRY_REASONS)[number];

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
  'REFERRAL_ACTION_REQUEST_INFO',
  'REFERRAL_ACTION_REPORT_PROGRESS',
  'REFERRAL_ACTION_CLOSE',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

/** A programme's status (aman.referral.v1.ProgrammeStatus): routed to only while open. */
export const PROGRAMME_STATUSES = [
  'PROGRAMME_STATUS_OPEN',
  'PROGRAMME_STATUS_FULL',
  'PROGRAMME_STATUS_SUSPENDED',
  'PROGRAMME_STATUS_CLOSED',
] as const;
export type ProgrammeStatus = (typeof PROGRAMME_STATUSES)[number];

/** How a provider receives its notifications (aman.referral.v1.DeliveryChannel). */
export const DELIVERY_CHANNELS = [
  'DELIVERY_CHANNEL_WEBHOOK',
  'DELIVERY_CHANNEL_PULL_FEED',
] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

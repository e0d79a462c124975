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
] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const REFERRAL_ACTIONS = [
  'REFERRAL_ACTION_ACKNOWLEDGE',
  'REFERRAL_ACTION_ACCEPT',
  'REFERRAL_ACTION_DECLINE',
  'REFERRAL_ACTION_COMPLETE',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

/**
 * The protection field's vocabularies as the referral rules use them: string literals equal to the
 * protobuf enum names in proto/aman/common/v1 and referral/v1, so event data is the messages' JSON
 * form as it stands. `*_UNSPECIFIED` is never a valid value and is left out.
 */

export const NEEDS = [
  'NEED_RELOCATION_ABROAD',
  'NEED_INTERNAL_RELOCATION',
  'NEED_EMERGENCY_GRANT',
  'NEED_LEGAL_AID',
  'NEED_MEDICAL',
  'NEED_PSYCHOSOCIAL',
  'NEED_DIGITAL_SECURITY',
] as const;
export type Need = (typeof NEEDS)[number];

export const RECIPIENT_TYPES = [
  'RECIPIENT_TYPE_EMBASSY',
  'RECIPIENT_TYPE_EMERGENCY_FUND',
  'RECIPIENT_TYPE_SHELTER_NETWORK',
  'RECIPIENT_TYPE_LEGAL_AID',
  'RECIPIENT_TYPE_MEDICAL',
  'RECIPIENT_TYPE_PSYCHOSOCIAL',
  'RECIPIENT_TYPE_DIGITAL_SECURITY_HELPLINE',
  'RECIPIENT_TYPE_PROTECTION_COMMISSION',
] as const;
export type RecipientType = (typeof RECIPIENT_TYPES)[number];

export const FIELD_GROUPS = [
  'FIELD_GROUP_IDENTITY',
  'FIELD_GROUP_CONTACT',
  'FIELD_GROUP_LOCATION',
  'FIELD_GROUP_THREATS',
  'FIELD_GROUP_CIRCUMSTANCES',
] as const;
export type FieldGroup = (typeof FIELD_GROUPS)[number];

export const RISK_LEVELS = [
  'RISK_LEVEL_LOW',
  'RISK_LEVEL_MEDIUM',
  'RISK_LEVEL_HIGH',
  'RISK_LEVEL_CRITICAL',
] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const DEADLINE_CLASSES = [
  'DEADLINE_CLASS_NORMAL',
  'DEADLINE_CLASS_URGENT',
  'DEADLINE_CLASS_EMERGENCY',
] as const;
export type DeadlineClass = (typeof DEADLINE_CLASSES)[number];

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

/**
 * The protection field's shared vocabularies as the domains use them: string literals equal to the
 * protobuf enum names (proto/aman/common/v1, accountability/v1), so event data is the messages'
 * JSON form as it stands. `*_UNSPECIFIED` is never a valid value and is left out. Plain data, no
 * protobuf runtime: domain code may import it. A unit test keeps each list equal to its enum.
 */

export const PROFILES = [
  'PROFILE_HUMAN_RIGHTS_DEFENDER',
  'PROFILE_JOURNALIST',
  'PROFILE_MEDIA_WORKER',
  'PROFILE_ACTIVIST',
  'PROFILE_LAWYER',
  'PROFILE_WOMEN_RIGHTS_DEFENDER',
] as const;
export type Profile = (typeof PROFILES)[number];

export const GENDERS = [
  'GENDER_WOMAN',
  'GENDER_MAN',
  'GENDER_NON_BINARY',
  'GENDER_UNDISCLOSED',
] as const;
export type Gender = (typeof GENDERS)[number];

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

export const THREAT_KINDS = [
  'THREAT_KIND_DEATH_THREAT',
  'THREAT_KIND_PHYSICAL_ATTACK',
  'THREAT_KIND_SURVEILLANCE',
  'THREAT_KIND_HOUSE_SEARCH',
  'THREAT_KIND_DETENTION',
  'THREAT_KIND_THREAT_TO_FAMILY',
  'THREAT_KIND_ONLINE_HARASSMENT',
] as const;
export type ThreatKind = (typeof THREAT_KINDS)[number];

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

export const ACTS = [
  'ACT_KILLING',
  'ACT_ATTEMPTED_KILLING',
  'ACT_ASSAULT',
  'ACT_ABDUCTION',
  'ACT_ARBITRARY_DETENTION',
  'ACT_DEATH_THREAT',
  'ACT_HOUSE_RAID',
  'ACT_HARASSMENT',
] as const;
export type Act = (typeof ACTS)[number];

export const PERPETRATOR_CATEGORIES = [
  'PERPETRATOR_CATEGORY_STATE',
  'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
  'PERPETRATOR_CATEGORY_UNKNOWN',
] as const;
export type PerpetratorCategory = (typeof PERPETRATOR_CATEGORIES)[number];

/** A threat as facts; its narrative is personal and sealed (aman.common.v1.ThreatFact). */
export type ThreatFact = {
  kind: ThreatKind;
  /** YYYY-MM-DD, as reported. */
  occurredOn: string;
  /** The source is a state actor or an armed group with control of the area. */
  byArmedOrStateActor: boolean;
};

/** The value names of a ts-proto enum, without the unspecified and unrecognised values. */
export function enumNames(values: Readonly<Record<string, string | number>>): string[] {
  return Object.keys(values).filter(
    (name) =>
      Number.isNaN(Number(name)) && name !== 'UNRECOGNIZED' && !name.endsWith('_UNSPECIFIED'),
  );
}

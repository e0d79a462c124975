/**
 * The shared vocabularies (proto/aman/common/v1/common.proto) as the names their protobuf JSON
 * form uses. `*_UNSPECIFIED` is left out: a case states every value it has.
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

/** `GENDER_UNDISCLOSED` is a valid answer; leaving the question out is not. */
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

/** In protobuf order, which is also the order a packet lists its groups in. */
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

/** Which recipient types may receive which field groups (aman.intake.v1.ConsentGrant). */
export type ConsentGrant = { recipientTypes: RecipientType[]; fieldGroups: FieldGroup[] };

/** A threat as facts; its narrative is personal and sealed (aman.common.v1.ThreatFact). */
export type ThreatFact = {
  kind: ThreatKind;
  /** YYYY-MM-DD, as reported. */
  occurredOn: string;
  /** The source is a state actor or an armed group with control of the area. */
  byArmedOrStateActor: boolean;
};

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
  'DEADLINE_CLASS_CRITICAL',
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
  'ACT_THREAT',
  'ACT_INTIMIDATION',
  'ACT_SURVEILLANCE',
  'ACT_ATTACK_ON_FAMILY',
] as const;
export type Act = (typeof ACTS)[number];

export const PERPETRATOR_CATEGORIES = [
  'PERPETRATOR_CATEGORY_STATE',
  'PERPETRATOR_CATEGORY_NON_STATE_ARMED_GROUP',
  'PERPETRATOR_CATEGORY_UNKNOWN',
] as const;
export type PerpetratorCategory = (typeof PERPETRATOR_CATEGORIES)[number];

export const THREAT_SOURCES = [
  'THREAT_SOURCE_STATE_ACTOR',
  'THREAT_SOURCE_ARMED_GROUP',
  'THREAT_SOURCE_CRIMINAL_GROUP',
  'THREAT_SOURCE_COMMUNITY_OR_FAMILY',
  'THREAT_SOURCE_UNIDENTIFIED',
] as const;
export type ThreatSource = (typeof THREAT_SOURCES)[number];

export const THREAT_OBJECTIVES = [
  'THREAT_OBJECTIVE_STOP_ACTIVITY',
  'THREAT_OBJECTIVE_PUNISH',
  'THREAT_OBJECTIVE_SILENCE_TESTIMONY',
  'THREAT_OBJECTIVE_EXTORT',
  'THREAT_OBJECTIVE_FORCE_DISPLACEMENT',
  'THREAT_OBJECTIVE_UNCLEAR',
] as const;
export type ThreatObjective = (typeof THREAT_OBJECTIVES)[number];

export const FEASIBILITIES = ['FEASIBILITY_LOW', 'FEASIBILITY_MEDIUM', 'FEASIBILITY_HIGH'] as const;
export type Feasibility = (typeof FEASIBILITIES)[number];

/**
 * A threat as facts (aman.common.v1.ThreatFact), through the five-step analysis: the facts (kind,
 * date, declared or possible), the pattern (read across a case's threats), the objective, the
 * source and the feasibility. Its narrative is personal and sealed, not here.
 */
export type ThreatFact = {
  kind: ThreatKind;
  /** YYYY-MM-DD, as reported. */
  occurredOn: string;
  source: ThreatSource;
  objective: ThreatObjective;
  feasibility: Feasibility;
  /** Made to the person directly, as against a possible threat (a colleague was threatened). */
  declared: boolean;
};

/** What exposes a person beyond their threats (aman.common.v1.Vulnerabilities). */
export type Vulnerabilities = {
  minority: boolean;
  disability: boolean;
  publicVisibility: boolean;
};

/** What a person can draw on (aman.common.v1.Capacities). */
export type Capacities = {
  supportNetwork: boolean;
  relocationOptions: boolean;
  digitalSecurity: boolean;
};

/**
 * A consent grant of a case (aman.intake.v1.ConsentGrant): every provider of these recipient
 * types, and these providers named by their organisation id whatever their type, may receive
 * these field groups.
 */
export type ConsentGrant = {
  recipientTypes: RecipientType[];
  fieldGroups: FieldGroup[];
  providerIds: string[];
};

/** A recipient as consent names it: by its type, or by its organisation id. */
export type ConsentRecipient = { readonly type: RecipientType; readonly organisationId: string };

/**
 * The field groups consent lets one recipient receive: the union over every grant that lists its
 * type or names it, in vocabulary order. Empty means no consent, so no referral. One rule for
 * intake (which releases packets) and referral (which routes).
 */
export function consentedFieldGroups(
  grants: readonly Readonly<{
    recipientTypes: readonly RecipientType[];
    fieldGroups: readonly FieldGroup[];
    providerIds: readonly string[];
  }>[],
  recipient: ConsentRecipient,
): FieldGroup[] {
  return FIELD_GROUPS.filter((group) =>
    grants.some(
      (grant) =>
        (grant.recipientTypes.includes(recipient.type) ||
          grant.providerIds.includes(recipient.organisationId)) &&
        grant.fieldGroups.includes(group),
    ),
  );
}

/** The value names of a ts-proto enum, without the unspecified and unrecognised values. */
export function enumNames(values: Readonly<Record<string, string | number>>): string[] {
  return Object.keys(values).filter(
    (name) =>
      Number.isNaN(Number(name)) && name !== 'UNRECOGNIZED' && !name.endsWith('_UNSPECIFIED'),
  );
}

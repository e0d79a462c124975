/**
 * The vocabularies the methodology reads (proto/aman/common/v1, proto/aman/accountability/v1,
 * proto/aman/risk/v1), as the names their protobuf JSON form uses. `*_UNSPECIFIED` is left out.
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

/** HURIDOCS acts, as accountability records them against a case. */
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

/** From lowest to highest. */
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

export const ASSESSMENT_TRIGGERS = [
  'ASSESSMENT_TRIGGER_SUBMISSION',
  'ASSESSMENT_TRIGGER_INCIDENT',
] as const;
export type AssessmentTrigger = (typeof ASSESSMENT_TRIGGERS)[number];

/** A threat reported at intake, without its narrative (aman.common.v1.ThreatFact). */
export type ThreatFact = {
  kind: ThreatKind;
  /** YYYY-MM-DD. */
  occurredOn: string;
  /** The source is a state actor or an armed group with control of the area. */
  byArmedOrStateActor: boolean;
};

/** What the methodology needs of a case: no names, no narratives (aman.risk.v1.CaseFacts). */
export type CaseFacts = {
  profile: Profile;
  gender: Gender;
  outsideCapital: boolean;
  familyExposed: boolean;
  threats: ThreatFact[];
};

/** An incident recorded against the case by accountability: what was done, by whom, when. */
export type IncidentFact = {
  act: Act;
  perpetratorCategory: PerpetratorCategory;
  /** YYYY-MM-DD. */
  occurredOn: string;
};

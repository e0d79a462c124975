import {
  type Profile,
  type Gender,
  type Act,
  type PerpetratorCategory,
  type ThreatFact,
} from '@aman/contracts/vocabulary';

/**
 * The vocabularies the methodology reads (proto/aman/common/v1, proto/aman/accountability/v1,
 * proto/aman/risk/v1), as the names their protobuf JSON form uses. `*_UNSPECIFIED` is left out.
 */

export {
  PROFILES,
  GENDERS,
  THREAT_KINDS,
  RISK_LEVELS,
  DEADLINE_CLASSES,
  ACTS,
  PERPETRATOR_CATEGORIES,
} from '@aman/contracts/vocabulary';
export type {
  Profile,
  Gender,
  ThreatKind,
  RiskLevel,
  DeadlineClass,
  Act,
  PerpetratorCategory,
  ThreatFact,
} from '@aman/contracts/vocabulary';

export const ASSESSMENT_TRIGGERS = [
  'ASSESSMENT_TRIGGER_SUBMISSION',
  'ASSESSMENT_TRIGGER_INCIDENT',
] as const;
export type AssessmentTrigger = (typeof ASSESSMENT_TRIGGERS)[number];

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

import {
  RISK_LEVELS,
  type Act,
  type Capacities,
  type Gender,
  type PerpetratorCategory,
  type Profile,
  type RiskLevel,
  type ThreatFact,
  type Vulnerabilities,
} from '@aman/contracts/vocabulary';

/**
 * The vocabularies the methodology reads (proto/aman/common/v1, proto/aman/accountability/v1,
 * proto/aman/risk/v1), as the names their protobuf JSON form uses. `*_UNSPECIFIED` is left out.
 */

export {
  ACTS,
  DEADLINE_CLASSES,
  FEASIBILITIES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RISK_LEVELS,
  THREAT_KINDS,
  THREAT_OBJECTIVES,
  THREAT_SOURCES,
} from '@aman/contracts/vocabulary';
export type {
  Act,
  Capacities,
  DeadlineClass,
  Feasibility,
  Gender,
  PerpetratorCategory,
  Profile,
  RiskLevel,
  ThreatFact,
  ThreatKind,
  ThreatObjective,
  ThreatSource,
  Vulnerabilities,
} from '@aman/contracts/vocabulary';

export const ASSESSMENT_TRIGGERS = [
  'ASSESSMENT_TRIGGER_SUBMISSION',
  'ASSESSMENT_TRIGGER_INCIDENT',
  'ASSESSMENT_TRIGGER_FACTS_UPDATED',
  'ASSESSMENT_TRIGGER_THREAT_REPORTED',
  'ASSESSMENT_TRIGGER_SCHEDULE',
  'ASSESSMENT_TRIGGER_OVERRIDE',
] as const;
export type AssessmentTrigger = (typeof ASSESSMENT_TRIGGERS)[number];

/** Why a case is no longer re-assessed (aman.risk.v1.ReassessmentStatus, stopped values). */
export const STOP_REASONS = ['CASE_WITHDRAWN', 'CASE_ERASED'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** A case's circumstances without its threats: what intake's CaseFactsUpdated restates whole. */
export type Circumstances = {
  profile: Profile;
  gender: Gender;
  outsideCapital: boolean;
  familyExposed: boolean;
  vulnerabilities: Vulnerabilities;
  capacities: Capacities;
};

/** What the methodology needs of a case: no names, no narratives (aman.risk.v1.CaseFacts). */
export type CaseFacts = Circumstances & { threats: ThreatFact[] };

/** An incident recorded against the case by accountability: what was done, by whom, when. */
export type IncidentFact = {
  act: Act;
  perpetratorCategory: PerpetratorCategory;
  /** YYYY-MM-DD. */
  occurredOn: string;
};

/** Levels compare by gravity: RISK_LEVELS lists them lowest first. */
export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

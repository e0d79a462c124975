import type { DomainEvent } from '@aman/eventstore';

import type {
  Act,
  AssessmentTrigger,
  CaseFacts,
  Circumstances,
  DeadlineClass,
  PerpetratorCategory,
  RiskLevel,
  StopReason,
  ThreatFact,
} from './vocabulary.ts';

/*
 * The events of one case's assessments (stream `assessment-<caseId>`). Only RiskAssessed leaves
 * the context; the others are the facts it was computed from and the assessors' overrides, whose
 * justification is free text and may be personal.
 */

/** Private: the facts of the case as submitted (intake's triage, or its CaseSubmitted consumed). */
export type CaseFactsRecordedData = {
  caseId: string;
  organisationId: string;
  facts: CaseFacts;
  /** The consumed event that brought them; absent for the synchronous triage. */
  cause?: string;
};
export type CaseFactsRecorded = DomainEvent<'CaseFactsRecorded', CaseFactsRecordedData>;

/** Private: the case's circumstances as the NGO corrected them (intake's CaseFactsUpdated). */
export type CircumstancesRecordedData = {
  caseId: string;
  organisationId: string;
  circumstances: Circumstances;
  /** The consumed event that brought them: applied once. */
  cause: string;
};
export type CircumstancesRecorded = DomainEvent<'CircumstancesRecorded', CircumstancesRecordedData>;

/** Private: a threat reported after the submission (intake's ThreatReported). */
export type ThreatNotedData = {
  caseId: string;
  organisationId: string;
  /** The consumed event's id: a redelivered report is not counted twice. */
  threatId: string;
  threat: ThreatFact;
};
export type ThreatNoted = DomainEvent<'ThreatNoted', ThreatNotedData>;

/** Private: an incident recorded against the case, as the methodology reads it. */
export type IncidentNotedData = {
  incidentId: string;
  act: Act;
  perpetratorCategory: PerpetratorCategory;
  occurredOn: string;
};
export type IncidentNoted = DomainEvent<'IncidentNoted', IncidentNotedData>;

/**
 * Private: an assessor set the level. The justification never leaves the context (it is not in
 * RiskAssessed, logs or errors) and is withheld from the history once the case is erased.
 */
export type AssessmentOverriddenData = {
  caseId: string;
  idempotencyKey: string;
  level: RiskLevel;
  /** The methodology's level at the time. */
  computedLevel: RiskLevel;
  justification: string;
  overriddenBy: { organisationId: string; principalId: string };
  overriddenAt: string;
  /** The assessment this override is: the RiskAssessed that follows it. */
  sequence: number;
};
export type AssessmentOverridden = DomainEvent<'AssessmentOverridden', AssessmentOverriddenData>;

/** Private: the case was withdrawn or erased; it is no longer re-assessed. */
export type ReassessmentStoppedData = {
  caseId: string;
  reason: StopReason;
  stoppedAt: string;
};
export type ReassessmentStopped = DomainEvent<'ReassessmentStopped', ReassessmentStoppedData>;

/** Public, on aman.risk.v1: the protobuf JSON of aman.risk.v1.RiskAssessed. */
export type RiskAssessedData = {
  caseId: string;
  /** The level in force: the methodology's, or an assessor's while an override holds. */
  level: RiskLevel;
  score: number;
  factors: string[];
  methodologyVersion: string;
  deadlineClass: DeadlineClass;
  /** ISO-8601 UTC with milliseconds, as protobuf JSON writes a Timestamp. */
  assessedAt: string;
  trigger: AssessmentTrigger;
  organisationId: string;
  /** 1 for the case's first assessment, then one more for each. */
  sequence: number;
  nextReassessmentAt: string;
  acknowledgeWithinSeconds: number;
  decideWithinSeconds: number;
  overridden: boolean;
  computedLevel: RiskLevel;
};
export type RiskAssessed = DomainEvent<'RiskAssessed', RiskAssessedData>;

export type AssessmentEvent =
  | CaseFactsRecorded
  | CircumstancesRecorded
  | ThreatNoted
  | IncidentNoted
  | AssessmentOverridden
  | ReassessmentStopped
  | RiskAssessed;

/** Event types that leave risk-assessment, each as its protobuf message. */
export const PUBLIC_ASSESSMENT_EVENT_TYPES = ['RiskAssessed'] as const;

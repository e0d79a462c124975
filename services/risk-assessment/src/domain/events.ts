import type { DomainEvent } from '@aman/eventstore';

import type {
  Act,
  AssessmentTrigger,
  CaseFacts,
  DeadlineClass,
  PerpetratorCategory,
  RiskLevel,
} from './vocabulary.ts';

/** Private: the facts the case was last assessed on. */
export type CaseFactsRecordedData = {
  caseId: string;
  organisationId: string;
  facts: CaseFacts;
};
export type CaseFactsRecorded = DomainEvent<'CaseFactsRecorded', CaseFactsRecordedData>;

/** Private: an incident recorded against the case, as the methodology reads it. */
export type IncidentNotedData = {
  incidentId: string;
  act: Act;
  perpetratorCategory: PerpetratorCategory;
  occurredOn: string;
};
export type IncidentNoted = DomainEvent<'IncidentNoted', IncidentNotedData>;

/** Public, on aman.risk.v1: the protobuf JSON of aman.risk.v1.RiskAssessed. */
export type RiskAssessedData = {
  caseId: string;
  level: RiskLevel;
  score: number;
  factors: string[];
  methodologyVersion: string;
  deadlineClass: DeadlineClass;
  /** ISO-8601 UTC with milliseconds, as protobuf JSON writes a Timestamp. */
  assessedAt: string;
  trigger: AssessmentTrigger;
  organisationId: string;
};
export type RiskAssessed = DomainEvent<'RiskAssessed', RiskAssessedData>;

export type AssessmentEvent = CaseFactsRecorded | IncidentNoted | RiskAssessed;

/** Event types that leave risk-assessment, each as its protobuf message. */
export const PUBLIC_ASSESSMENT_EVENT_TYPES = ['RiskAssessed'] as const;

/**
 * Risk assessment's rules: methodology aman-risk-v1 (risk = threats × vulnerabilities ÷
 * capacities) and the Assessment aggregate (stream `assessment-<caseId>`). Pure: no I/O.
 */
export { assessmentDecider, assessmentStream, type AssessmentState } from './assessmentDecider.ts';
export type { AssessCase, AssessmentCommand, NoteIncident } from './commands.ts';
export {
  PUBLIC_ASSESSMENT_EVENT_TYPES,
  type AssessmentEvent,
  type CaseFactsRecorded,
  type CaseFactsRecordedData,
  type IncidentNoted,
  type IncidentNotedData,
  type RiskAssessed,
  type RiskAssessedData,
} from './events.ts';
export {
  METHODOLOGY_VERSION,
  RISK_THRESHOLDS,
  assessRisk,
  deadlineClassFor,
  levelFor,
  type RiskAssessment,
} from './methodology.ts';
export {
  ACTS,
  ASSESSMENT_TRIGGERS,
  DEADLINE_CLASSES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RISK_LEVELS,
  THREAT_KINDS,
  type Act,
  type AssessmentTrigger,
  type CaseFacts,
  type DeadlineClass,
  type Gender,
  type IncidentFact,
  type PerpetratorCategory,
  type Profile,
  type RiskLevel,
  type ThreatFact,
  type ThreatKind,
} from './vocabulary.ts';

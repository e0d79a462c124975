import type {
  Act,
  CaseFacts,
  Circumstances,
  PerpetratorCategory,
  RiskLevel,
  StopReason,
  ThreatFact,
} from './vocabulary.ts';

/*
 * Every command carries the time it is decided at (RFC 3339 with an offset): the UTC date of
 * `assessedAt` is the day recency is measured from, so deciding is pure and repeatable.
 */

/** Assess a case from its facts as submitted: intake's synchronous triage, or its CaseSubmitted. */
export type AssessCase = {
  readonly type: 'AssessCase';
  readonly data: {
    readonly caseId: string;
    readonly organisationId: string;
    readonly facts: CaseFacts;
    readonly assessedAt: string;
    /** The consumed event's id; absent for the triage. */
    readonly cause?: string;
  };
};

/** The NGO corrected the case's circumstances (intake's CaseFactsUpdated consumed). */
export type UpdateCircumstances = {
  readonly type: 'UpdateCircumstances';
  readonly data: {
    readonly caseId: string;
    readonly organisationId: string;
    readonly circumstances: Circumstances;
    readonly cause: string;
    readonly assessedAt: string;
  };
};

/** A new threat against the person (intake's ThreatReported consumed). */
export type NoteThreat = {
  readonly type: 'NoteThreat';
  readonly data: {
    readonly caseId: string;
    readonly organisationId: string;
    /** The consumed event's id. */
    readonly threatId: string;
    readonly threat: ThreatFact;
    readonly assessedAt: string;
  };
};

/** An incident recorded against the case (accountability's IncidentRecorded consumed). */
export type NoteIncident = {
  readonly type: 'NoteIncident';
  readonly data: {
    readonly caseId: string;
    readonly incidentId: string;
    readonly act: Act;
    readonly perpetratorCategory: PerpetratorCategory;
    readonly occurredOn: string;
    readonly assessedAt: string;
  };
};

/** The re-assessment that assessment `sequence` scheduled is due (a durable timer fired). */
export type ReassessOnSchedule = {
  readonly type: 'ReassessOnSchedule';
  readonly data: {
    readonly caseId: string;
    readonly sequence: number;
    readonly assessedAt: string;
  };
};

/** An assessor of the case's NGO sets the level, with a justification. */
export type OverrideAssessment = {
  readonly type: 'OverrideAssessment';
  readonly data: {
    readonly caseId: string;
    /** The assessor's organisation: it must be the case's. */
    readonly organisationId: string;
    readonly principalId: string;
    readonly level: RiskLevel;
    readonly justification: string;
    readonly idempotencyKey: string;
    /** The sequence of the assessment the assessor read; 0 or absent: not checked. */
    readonly expectedSequence?: number;
    readonly overriddenAt: string;
  };
};

/** The case was withdrawn or erased (intake's CaseWithdrawn or CaseErased consumed). */
export type StopReassessment = {
  readonly type: 'StopReassessment';
  readonly data: {
    readonly caseId: string;
    readonly reason: StopReason;
    readonly stoppedAt: string;
  };
};

export type AssessmentCommand =
  | AssessCase
  | UpdateCircumstances
  | NoteThreat
  | NoteIncident
  | ReassessOnSchedule
  | OverrideAssessment
  | StopReassessment;

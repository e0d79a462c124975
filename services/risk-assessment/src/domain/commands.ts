import type { Act, CaseFacts, PerpetratorCategory } from './vocabulary.ts';

/** Assess a case from its facts: intake's synchronous triage, or its CaseSubmitted consumed. */
export type AssessCase = {
  readonly type: 'AssessCase';
  readonly data: {
    readonly caseId: string;
    readonly organisationId: string;
    readonly facts: CaseFacts;
    readonly trigger: 'ASSESSMENT_TRIGGER_SUBMISSION';
    /** RFC 3339 with an offset; its UTC date is the day recency is measured from. */
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

export type AssessmentCommand = AssessCase | NoteIncident;

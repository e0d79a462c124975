import type { AssessmentEvent, AssessmentOverriddenData, RiskAssessedData } from './events.ts';
import type { StopReason } from './vocabulary.ts';

export type HistoryEntry = {
  readonly assessment: RiskAssessedData;
  /** Present when the assessment is an override; the justification is empty once erased. */
  readonly override?: Omit<AssessmentOverriddenData, 'justification'> & {
    readonly justification: string;
    readonly justificationWithheld: boolean;
  };
};

export type AssessmentHistory = {
  readonly organisationId: string | undefined;
  /** Oldest first. */
  readonly entries: readonly HistoryEntry[];
  readonly stopped: StopReason | undefined;
};

/**
 * A case's assessments as the NGO may read them: levels, scores, triggers, factors and
 * methodology versions, each override with who and when. Once the case is erased, assessors'
 * justifications are withheld: they are free text and may name people.
 */
export function historyOf(events: readonly AssessmentEvent[]): AssessmentHistory {
  const overrides = new Map<number, AssessmentOverriddenData>();
  const assessments: RiskAssessedData[] = [];
  let stopped: StopReason | undefined;
  let organisationId: string | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'AssessmentOverridden':
        overrides.set(event.data.sequence, event.data);
        break;
      case 'RiskAssessed':
        assessments.push(event.data);
        organisationId = event.data.organisationId;
        break;
      case 'ReassessmentStopped':
        if (stopped !== 'CASE_ERASED') stopped = event.data.reason;
        break;
      default:
        break;
    }
  }
  const withheld = stopped === 'CASE_ERASED';
  return {
    organisationId,
    stopped,
    entries: assessments.map((assessment) => {
      const override =
        assessment.trigger === 'ASSESSMENT_TRIGGER_OVERRIDE'
          ? overrides.get(assessment.sequence)
          : undefined;
      if (override === undefined) return { assessment };
      return {
        assessment,
        override: {
          ...override,
          justification: withheld ? '' : override.justification,
          justificationWithheld: withheld,
        },
      };
    }),
  };
}

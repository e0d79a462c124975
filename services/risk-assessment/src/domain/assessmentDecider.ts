import type { Decider } from '@aman/eventstore';
import { IllegalStateError } from '@aman/errors';

import type { AssessCase, AssessmentCommand, NoteIncident } from './commands.ts';
import type {
  AssessmentEvent,
  CaseFactsRecordedData,
  IncidentNotedData,
  RiskAssessed,
  RiskAssessedData,
} from './events.ts';
import { assessRisk } from './methodology.ts';
import {
  requireBoolean,
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireTimestamp,
} from '@aman/errors';
import {
  ACTS,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  THREAT_KINDS,
  type AssessmentTrigger,
  type CaseFacts,
} from './vocabulary.ts';

/** One stream per assessed case. */
export function assessmentStream(caseId: string): string {
  return `assessment-${caseId}`;
}

export type AssessmentState = {
  /** Undefined until the case's facts arrive (an incident can be noted before). */
  readonly recorded: CaseFactsRecordedData | undefined;
  readonly incidents: readonly IncidentNotedData[];
  /** The latest assessment, for a caller whose command decided nothing (a repeated triage). */
  readonly latest: RiskAssessedData | undefined;
};

function initialState(): AssessmentState {
  return { recorded: undefined, incidents: [], latest: undefined };
}

function decide(command: AssessmentCommand, state: AssessmentState): AssessmentEvent[] {
  switch (command.type) {
    case 'AssessCase':
      return assessCase(command.data, state);
    case 'NoteIncident':
      return noteIncident(command.data, state);
  }
}

function assessCase(command: AssessCase['data'], state: AssessmentState): AssessmentEvent[] {
  const caseId = requireIdentifier(command.caseId, 'caseId');
  const organisationId = requireIdentifier(command.organisationId, 'organisationId');
  requireOneOf(command.trigger, ['ASSESSMENT_TRIGGER_SUBMISSION'], 'trigger');
  const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
  const facts = validFacts(command.facts);
  const { recorded } = state;
  if (recorded !== undefined) {
    requireSameCase(recorded.caseId, caseId);
    if (recorded.organisationId !== organisationId) {
      throw new IllegalStateError('the case was assessed for another organisation');
    }
    // The synchronous triage and the consumed submission bring the same facts: assess once.
    if (factsKey(recorded.facts) === factsKey(facts)) return [];
  }
  return [
    { type: 'CaseFactsRecorded', data: { caseId, organisationId, facts } },
    riskAssessed({ caseId, organisationId, facts }, state.incidents, assessedAt, command.trigger),
  ];
}

function noteIncident(command: NoteIncident['data'], state: AssessmentState): AssessmentEvent[] {
  const caseId = requireIdentifier(command.caseId, 'caseId');
  const incident: IncidentNotedData = {
    incidentId: requireIdentifier(command.incidentId, 'incidentId'),
    act: requireOneOf(command.act, ACTS, 'act'),
    perpetratorCategory: requireOneOf(
      command.perpetratorCategory,
      PERPETRATOR_CATEGORIES,
      'perpetratorCategory',
    ),
    occurredOn: requireDate(command.occurredOn, 'occurredOn'),
  };
  const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
  if (state.recorded !== undefined) requireSameCase(state.recorded.caseId, caseId);
  // Delivery is at least once: an incident already noted is not counted twice.
  if (state.incidents.some((noted) => noted.incidentId === incident.incidentId)) return [];
  const noted: AssessmentEvent = { type: 'IncidentNoted', data: incident };
  // Without the facts there is nothing to assess yet; AssessCase counts this incident later.
  if (state.recorded === undefined) return [noted];
  return [
    noted,
    riskAssessed(
      state.recorded,
      [...state.incidents, incident],
      assessedAt,
      'ASSESSMENT_TRIGGER_INCIDENT',
    ),
  ];
}

function riskAssessed(
  { caseId, organisationId, facts }: CaseFactsRecordedData,
  incidents: readonly IncidentNotedData[],
  assessedAt: string,
  trigger: AssessmentTrigger,
): RiskAssessed {
  const assessment = assessRisk(facts, incidents, assessedAt.slice(0, 10));
  return {
    type: 'RiskAssessed',
    data: {
      caseId,
      level: assessment.level,
      score: assessment.score,
      factors: [...assessment.factors],
      methodologyVersion: assessment.methodologyVersion,
      deadlineClass: assessment.deadlineClass,
      assessedAt,
      trigger,
      organisationId,
    },
  };
}

function evolve(state: AssessmentState, event: AssessmentEvent): AssessmentState {
  switch (event.type) {
    case 'CaseFactsRecorded':
      return { ...state, recorded: event.data };
    case 'IncidentNoted':
      return { ...state, incidents: [...state.incidents, event.data] };
    case 'RiskAssessed':
      return { ...state, latest: event.data };
  }
}

export const assessmentDecider: Decider<AssessmentState, AssessmentCommand, AssessmentEvent> = {
  decide,
  evolve,
  initialState,
};

function requireSameCase(stateCaseId: string, commandCaseId: string): void {
  if (stateCaseId !== commandCaseId) {
    throw new IllegalStateError("the command's case id is not its stream's case");
  }
}

/** The facts checked, and copied so the event shares nothing with the caller's objects. */
function validFacts(facts: CaseFacts): CaseFacts {
  const threats = requireList(facts.threats, 'facts.threats');
  return {
    profile: requireOneOf(facts.profile, PROFILES, 'facts.profile'),
    gender: requireOneOf(facts.gender, GENDERS, 'facts.gender'),
    outsideCapital: requireBoolean(facts.outsideCapital, 'facts.outsideCapital'),
    familyExposed: requireBoolean(facts.familyExposed, 'facts.familyExposed'),
    threats: threats.map((value, index) => {
      const threat = (typeof value === 'object' && value !== null ? value : {}) as Partial<
        Record<string, unknown>
      >;
      const field = `facts.threats[${index}]`;
      return {
        kind: requireOneOf(threat['kind'], THREAT_KINDS, `${field}.kind`),
        occurredOn: requireDate(threat['occurredOn'], `${field}.occurredOn`),
        byArmedOrStateActor: requireBoolean(
          threat['byArmedOrStateActor'],
          `${field}.byArmedOrStateActor`,
        ),
      };
    }),
  };
}

/** The facts in a fixed shape and order, to tell a repeat from a change. */
function factsKey(facts: CaseFacts): string {
  return JSON.stringify([
    facts.profile,
    facts.gender,
    facts.outsideCapital,
    facts.familyExposed,
    facts.threats.map((threat) => [threat.kind, threat.occurredOn, threat.byArmedOrStateActor]),
  ]);
}

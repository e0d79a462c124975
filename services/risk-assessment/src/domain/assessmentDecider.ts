import type { Decider } from '@aman/eventstore';
import {
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
  requireBoolean,
  requireDate,
  requireIdentifier,
  requireList,
  requireOneOf,
  requireText,
  requireTimestamp,
} from '@aman/errors';

import type {
  AssessCase,
  AssessmentCommand,
  NoteIncident,
  NoteThreat,
  OverrideAssessment,
  ReassessOnSchedule,
  StopReassessment,
  UpdateCircumstances,
} from './commands.ts';
import type {
  AssessmentEvent,
  AssessmentOverriddenData,
  CaseFactsRecordedData,
  IncidentNotedData,
  RiskAssessed,
  RiskAssessedData,
  ThreatNotedData,
} from './events.ts';
import { METHODOLOGIES, type MethodologyRegistry, type RiskResult } from './methodology/index.ts';
import { DEFAULT_POLICY, consequencesOf, type AssessmentPolicy } from './policy.ts';
import {
  ACTS,
  FEASIBILITIES,
  GENDERS,
  PERPETRATOR_CATEGORIES,
  PROFILES,
  RISK_LEVELS,
  STOP_REASONS,
  THREAT_KINDS,
  THREAT_OBJECTIVES,
  THREAT_SOURCES,
  levelRank,
  type AssessmentTrigger,
  type CaseFacts,
  type Circumstances,
  type RiskLevel,
  type StopReason,
  type ThreatFact,
} from './vocabulary.ts';

/** One stream per assessed case. */
export function assessmentStream(caseId: string): string {
  return `assessment-${caseId}`;
}

/** Longest justification an assessor may write. */
export const MAX_JUSTIFICATION_LENGTH = 2000;

/** An assessor's level, holding until the computed level passes both it and what they saw. */
export type OverrideInForce = {
  readonly level: RiskLevel;
  readonly computedLevel: RiskLevel;
  readonly overriddenAt: string;
};

export type AssessmentState = {
  readonly organisationId: string | undefined;
  /** The facts as submitted; undefined until the submission arrives. */
  readonly submitted: CaseFacts | undefined;
  /** The circumstances as they stand (the submission's, or the NGO's latest correction). */
  readonly circumstances: Circumstances | undefined;
  /** Ids of the consumed events already applied. */
  readonly causes: readonly string[];
  readonly reportedThreats: readonly ThreatNotedData[];
  readonly incidents: readonly IncidentNotedData[];
  /** The latest assessment, for a caller whose command decided nothing (a repeated triage). */
  readonly latest: RiskAssessedData | undefined;
  readonly override: OverrideInForce | undefined;
  readonly overrides: readonly AssessmentOverriddenData[];
  readonly stopped: StopReason | undefined;
};

function initialState(): AssessmentState {
  return {
    organisationId: undefined,
    submitted: undefined,
    circumstances: undefined,
    causes: [],
    reportedThreats: [],
    incidents: [],
    latest: undefined,
    override: undefined,
    overrides: [],
    stopped: undefined,
  };
}

/**
 * The Assessment aggregate: the facts of one case, the assessments made of them, the assessors'
 * overrides. Every trigger that brings something new re-assesses with the current methodology;
 * nothing is re-assessed once the case is withdrawn or erased. A consumed event, a timer or a
 * request repeated decides nothing the second time, as delivery is at least once.
 */
export function createAssessmentDecider(
  options: {
    readonly policy?: AssessmentPolicy;
    readonly methodologies?: MethodologyRegistry;
  } = {},
): Decider<AssessmentState, AssessmentCommand, AssessmentEvent> {
  const policy = options.policy ?? DEFAULT_POLICY;
  const methodologies = options.methodologies ?? METHODOLOGIES;

  /** The facts the methodology reads: the circumstances, every threat so far. */
  function factsOf(state: AssessmentState, circumstances: Circumstances): CaseFacts {
    return {
      ...circumstances,
      threats: [
        ...(state.submitted?.threats ?? []),
        ...state.reportedThreats.map((noted) => noted.threat),
      ],
    };
  }

  function compute(state: AssessmentState, facts: CaseFacts, assessedAt: string): RiskResult {
    return methodologies.current.assess({
      facts,
      incidents: state.incidents,
      assessedOn: assessedAt.slice(0, 10),
    });
  }

  /**
   * A re-assessment: the computed level, unless an assessor's override holds. It holds until the
   * computed level rises above both the assessor's level and the level they overrode (the case
   * has become graver than what they judged); then the computed level applies again.
   */
  function reassessed(
    state: AssessmentState,
    given: { caseId: string; organisationId: string; facts: CaseFacts },
    assessedAt: string,
    trigger: Exclude<AssessmentTrigger, 'ASSESSMENT_TRIGGER_OVERRIDE'>,
  ): RiskAssessed {
    const result = compute(state, given.facts, assessedAt);
    const { override } = state;
    const holds =
      override !== undefined &&
      levelRank(result.level) <=
        Math.max(levelRank(override.level), levelRank(override.computedLevel));
    if (override === undefined || !holds) {
      return riskAssessed(state, given, result, result.level, result.factors, assessedAt, trigger);
    }
    return riskAssessed(
      state,
      given,
      result,
      override.level,
      [
        `level held at ${LEVEL_WORDS[override.level]} by an assessor's override of ${override.overriddenAt.slice(0, 10)} (computed: ${LEVEL_WORDS[result.level]})`,
        ...result.factors,
      ],
      assessedAt,
      trigger,
    );
  }

  function riskAssessed(
    state: AssessmentState,
    { caseId, organisationId }: { caseId: string; organisationId: string },
    result: RiskResult,
    level: RiskLevel,
    factors: readonly string[],
    assessedAt: string,
    trigger: AssessmentTrigger,
  ): RiskAssessed {
    return {
      type: 'RiskAssessed',
      data: {
        caseId,
        level,
        score: result.score,
        factors: [...factors],
        methodologyVersion: result.methodologyVersion,
        ...consequencesOf(policy, level, assessedAt),
        assessedAt,
        trigger,
        organisationId,
        sequence: (state.latest?.sequence ?? 0) + 1,
        overridden: level !== result.level,
        computedLevel: result.level,
      },
    };
  }

  function assessCase(command: AssessCase['data'], state: AssessmentState): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const organisationId = requireIdentifier(command.organisationId, 'organisationId');
    const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
    const cause =
      command.cause === undefined ? undefined : requireIdentifier(command.cause, 'cause');
    const facts = validFacts(command.facts);
    requireSameOrganisation(state, organisationId);
    if (state.stopped !== undefined) return [];
    if (cause !== undefined && state.causes.includes(cause)) return [];
    // The synchronous triage and the consumed submission bring the same facts: assess once.
    if (state.submitted !== undefined && factsKey(state.submitted) === factsKey(facts)) return [];
    const recorded: CaseFactsRecordedData = {
      caseId,
      organisationId,
      facts,
      ...(cause === undefined ? {} : { cause }),
    };
    const next = evolve(state, { type: 'CaseFactsRecorded', data: recorded });
    return [
      { type: 'CaseFactsRecorded', data: recorded },
      reassessed(
        next,
        { caseId, organisationId, facts: factsOf(next, withoutThreats(facts)) },
        assessedAt,
        'ASSESSMENT_TRIGGER_SUBMISSION',
      ),
    ];
  }

  function updateCircumstances(
    command: UpdateCircumstances['data'],
    state: AssessmentState,
  ): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const organisationId = requireIdentifier(command.organisationId, 'organisationId');
    const cause = requireIdentifier(command.cause, 'cause');
    const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
    const circumstances = validCircumstances(command.circumstances, 'circumstances');
    requireSameOrganisation(state, organisationId);
    if (state.stopped !== undefined || state.causes.includes(cause)) return [];
    const recorded: AssessmentEvent = {
      type: 'CircumstancesRecorded',
      data: { caseId, organisationId, circumstances, cause },
    };
    // A correction of what the methodology does not read (needs, province) is recorded, so a
    // redelivery of an older one cannot undo it, but changes no assessment.
    const unchanged =
      state.circumstances !== undefined &&
      circumstancesKey(state.circumstances) === circumstancesKey(circumstances);
    if (unchanged) return [recorded];
    const next = evolve(state, recorded);
    return [
      recorded,
      reassessed(
        next,
        { caseId, organisationId, facts: factsOf(next, circumstances) },
        assessedAt,
        'ASSESSMENT_TRIGGER_FACTS_UPDATED',
      ),
    ];
  }

  function noteThreat(command: NoteThreat['data'], state: AssessmentState): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const organisationId = requireIdentifier(command.organisationId, 'organisationId');
    const threatId = requireIdentifier(command.threatId, 'threatId');
    const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
    const threat = validThreat(command.threat, 'threat');
    requireSameOrganisation(state, organisationId);
    if (state.stopped !== undefined) return [];
    if (state.reportedThreats.some((noted) => noted.threatId === threatId)) return [];
    const noted: AssessmentEvent = {
      type: 'ThreatNoted',
      data: { caseId, organisationId, threatId, threat },
    };
    // Without the circumstances there is nothing to assess yet; the submission counts it later.
    if (state.circumstances === undefined) return [noted];
    const next = evolve(state, noted);
    return [
      noted,
      reassessed(
        next,
        { caseId, organisationId, facts: factsOf(next, state.circumstances) },
        assessedAt,
        'ASSESSMENT_TRIGGER_THREAT_REPORTED',
      ),
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
    if (state.stopped !== undefined) return [];
    // Delivery is at least once: an incident already noted is not counted twice.
    if (state.incidents.some((noted) => noted.incidentId === incident.incidentId)) return [];
    const noted: AssessmentEvent = { type: 'IncidentNoted', data: incident };
    const { circumstances, organisationId } = state;
    if (circumstances === undefined || organisationId === undefined) return [noted];
    const next = evolve(state, noted);
    return [
      noted,
      reassessed(
        next,
        { caseId, organisationId, facts: factsOf(next, circumstances) },
        assessedAt,
        'ASSESSMENT_TRIGGER_INCIDENT',
      ),
    ];
  }

  function reassessOnSchedule(
    command: ReassessOnSchedule['data'],
    state: AssessmentState,
  ): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const sequence = requireSequence(command.sequence, 'sequence');
    const assessedAt = requireTimestamp(command.assessedAt, 'assessedAt');
    const { latest, circumstances, organisationId } = state;
    if (state.stopped !== undefined) return [];
    // A newer assessment set its own schedule (or this timer fired already): nothing is due.
    if (latest === undefined || latest.sequence !== sequence) return [];
    if (circumstances === undefined || organisationId === undefined) return [];
    return [
      reassessed(
        state,
        { caseId, organisationId, facts: factsOf(state, circumstances) },
        assessedAt,
        'ASSESSMENT_TRIGGER_SCHEDULE',
      ),
    ];
  }

  function overrideAssessment(
    command: OverrideAssessment['data'],
    state: AssessmentState,
  ): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const organisationId = requireIdentifier(command.organisationId, 'organisationId');
    const principalId = requireIdentifier(command.principalId, 'principalId');
    const level = requireOneOf(command.level, RISK_LEVELS, 'level');
    const justification = requireJustification(command.justification);
    const idempotencyKey = requireIdentifier(command.idempotencyKey, 'idempotencyKey');
    const overriddenAt = requireTimestamp(command.overriddenAt, 'overriddenAt');
    const expected = command.expectedSequence ?? 0;
    if (expected !== 0) requireSequence(expected, 'expectedSequence');
    const { latest, circumstances } = state;
    // Another organisation's case reads as one never assessed: its existence is not disclosed.
    if (
      latest === undefined ||
      circumstances === undefined ||
      state.organisationId !== organisationId
    ) {
      throw new NotFoundError('no assessment of this case');
    }
    const repeated = state.overrides.find((done) => done.idempotencyKey === idempotencyKey);
    if (repeated !== undefined) {
      if (repeated.level === level && repeated.justification === justification) return [];
      throw new IdempotencyConflictError(
        'this idempotency key was used for another override of the case',
      );
    }
    if (state.stopped !== undefined) {
      throw new IllegalStateError('the case is withdrawn or erased: it is no longer assessed');
    }
    if (expected !== 0 && expected !== latest.sequence) {
      throw new IllegalStateError(
        'the case was assessed again since the assessment the override is based on',
      );
    }
    const facts = factsOf(state, circumstances);
    const result = compute(state, facts, overriddenAt);
    const sequence = latest.sequence + 1;
    const overridden: AssessmentEvent = {
      type: 'AssessmentOverridden',
      data: {
        caseId,
        idempotencyKey,
        level,
        computedLevel: result.level,
        justification,
        overriddenBy: { organisationId, principalId },
        overriddenAt,
        sequence,
      },
    };
    // Setting the computed level is agreeing with the methodology: no override holds after it.
    const words =
      level === result.level
        ? `level confirmed at ${LEVEL_WORDS[level]} by an assessor`
        : `level set at ${LEVEL_WORDS[level]} by an assessor (computed: ${LEVEL_WORDS[result.level]})`;
    return [
      overridden,
      riskAssessed(
        state,
        { caseId, organisationId },
        result,
        level,
        [words, ...result.factors],
        overriddenAt,
        'ASSESSMENT_TRIGGER_OVERRIDE',
      ),
    ];
  }

  function stopReassessment(
    command: StopReassessment['data'],
    state: AssessmentState,
  ): AssessmentEvent[] {
    const caseId = requireIdentifier(command.caseId, 'caseId');
    const reason = requireOneOf(command.reason, STOP_REASONS, 'reason');
    const stoppedAt = requireTimestamp(command.stoppedAt, 'stoppedAt');
    // Erasure after a withdrawal is recorded too: it withholds the justifications.
    if (state.stopped === reason || state.stopped === 'CASE_ERASED') return [];
    return [{ type: 'ReassessmentStopped', data: { caseId, reason, stoppedAt } }];
  }

  function decide(command: AssessmentCommand, state: AssessmentState): AssessmentEvent[] {
    switch (command.type) {
      case 'AssessCase':
        return assessCase(command.data, state);
      case 'UpdateCircumstances':
        return updateCircumstances(command.data, state);
      case 'NoteThreat':
        return noteThreat(command.data, state);
      case 'NoteIncident':
        return noteIncident(command.data, state);
      case 'ReassessOnSchedule':
        return reassessOnSchedule(command.data, state);
      case 'OverrideAssessment':
        return overrideAssessment(command.data, state);
      case 'StopReassessment':
        return stopReassessment(command.data, state);
    }
  }

  return { decide, evolve, initialState };
}

function evolve(state: AssessmentState, event: AssessmentEvent): AssessmentState {
  switch (event.type) {
    case 'CaseFactsRecorded': {
      const { organisationId, facts, cause } = event.data;
      return {
        ...state,
        organisationId,
        submitted: facts,
        circumstances: withoutThreats(facts),
        causes: cause === undefined ? state.causes : [...state.causes, cause],
      };
    }
    case 'CircumstancesRecorded': {
      const { organisationId, circumstances, cause } = event.data;
      return { ...state, organisationId, circumstances, causes: [...state.causes, cause] };
    }
    case 'ThreatNoted':
      return {
        ...state,
        organisationId: event.data.organisationId,
        reportedThreats: [...state.reportedThreats, event.data],
      };
    case 'IncidentNoted':
      return { ...state, incidents: [...state.incidents, event.data] };
    case 'AssessmentOverridden': {
      const { level, computedLevel, overriddenAt } = event.data;
      return {
        ...state,
        override: level === computedLevel ? undefined : { level, computedLevel, overriddenAt },
        overrides: [...state.overrides, event.data],
      };
    }
    case 'ReassessmentStopped':
      return { ...state, stopped: event.data.reason };
    case 'RiskAssessed':
      return {
        ...state,
        latest: event.data,
        // An assessment at the computed level ends any override.
        override: event.data.overridden ? state.override : undefined,
      };
  }
}

/** The decider with the default policy and every registered methodology. */
export const assessmentDecider = createAssessmentDecider();

const LEVEL_WORDS: Record<RiskLevel, string> = {
  RISK_LEVEL_LOW: 'low',
  RISK_LEVEL_MEDIUM: 'medium',
  RISK_LEVEL_HIGH: 'high',
  RISK_LEVEL_CRITICAL: 'critical',
};

function requireSameOrganisation(state: AssessmentState, organisationId: string): void {
  if (state.organisationId !== undefined && state.organisationId !== organisationId) {
    throw new IllegalStateError('the case was assessed for another organisation');
  }
}

function requireSequence(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${field} must be a whole number of at least 1`);
  }
  return value;
}

function requireJustification(value: unknown): string {
  const text = requireText(value, 'justification').trim();
  if (text.length > MAX_JUSTIFICATION_LENGTH) {
    throw new ValidationError(
      `justification must be at most ${MAX_JUSTIFICATION_LENGTH} characters`,
    );
  }
  return text;
}

function withoutThreats({ threats: _, ...circumstances }: CaseFacts): Circumstances {
  return circumstances;
}

function record(value: unknown): Partial<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? value : {};
}

/** Checked, and copied so the event shares nothing with the caller's objects. */
function validCircumstances(value: unknown, field: string): Circumstances {
  const given = record(value);
  const vulnerabilities = record(given['vulnerabilities']);
  const capacities = record(given['capacities']);
  return {
    profile: requireOneOf(given['profile'], PROFILES, `${field}.profile`),
    gender: requireOneOf(given['gender'], GENDERS, `${field}.gender`),
    outsideCapital: requireBoolean(given['outsideCapital'], `${field}.outsideCapital`),
    familyExposed: requireBoolean(given['familyExposed'], `${field}.familyExposed`),
    vulnerabilities: {
      minority: requireBoolean(vulnerabilities['minority'], `${field}.vulnerabilities.minority`),
      disability: requireBoolean(
        vulnerabilities['disability'],
        `${field}.vulnerabilities.disability`,
      ),
      publicVisibility: requireBoolean(
        vulnerabilities['publicVisibility'],
        `${field}.vulnerabilities.publicVisibility`,
      ),
    },
    capacities: {
      supportNetwork: requireBoolean(
        capacities['supportNetwork'],
        `${field}.capacities.supportNetwork`,
      ),
      relocationOptions: requireBoolean(
        capacities['relocationOptions'],
        `${field}.capacities.relocationOptions`,
      ),
      digitalSecurity: requireBoolean(
        capacities['digitalSecurity'],
        `${field}.capacities.digitalSecurity`,
      ),
    },
  };
}

function validThreat(value: unknown, field: string): ThreatFact {
  const threat = record(value);
  return {
    kind: requireOneOf(threat['kind'], THREAT_KINDS, `${field}.kind`),
    occurredOn: requireDate(threat['occurredOn'], `${field}.occurredOn`),
    source: requireOneOf(threat['source'], THREAT_SOURCES, `${field}.source`),
    objective: requireOneOf(threat['objective'], THREAT_OBJECTIVES, `${field}.objective`),
    feasibility: requireOneOf(threat['feasibility'], FEASIBILITIES, `${field}.feasibility`),
    declared: requireBoolean(threat['declared'], `${field}.declared`),
  };
}

function validFacts(facts: CaseFacts): CaseFacts {
  const threats = requireList(record(facts)['threats'], 'facts.threats');
  return {
    ...validCircumstances(facts, 'facts'),
    threats: threats.map((threat, index) => validThreat(threat, `facts.threats[${index}]`)),
  };
}

/** The circumstances in a fixed shape and order, to tell a repeat from a change. */
function circumstancesKey(circumstances: Circumstances): string {
  const { vulnerabilities, capacities } = circumstances;
  return JSON.stringify([
    circumstances.profile,
    circumstances.gender,
    circumstances.outsideCapital,
    circumstances.familyExposed,
    vulnerabilities.minority,
    vulnerabilities.disability,
    vulnerabilities.publicVisibility,
    capacities.supportNetwork,
    capacities.relocationOptions,
    capacities.digitalSecurity,
  ]);
}

function factsKey(facts: CaseFacts): string {
  return JSON.stringify([
    circumstancesKey(facts),
    facts.threats.map((threat) => [
      threat.kind,
      threat.occurredOn,
      threat.source,
      threat.objective,
      threat.feasibility,
      threat.declared,
    ]),
  ]);
}

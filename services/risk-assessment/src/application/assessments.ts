import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@aman/errors';
import {
  handleCommand,
  loadState,
  type Actor,
  type Decider,
  type EventStore,
} from '@aman/eventstore';
import {
  CONTEXTS,
  actorOf,
  eventMetadata,
  type ConsumedEvent,
  type Principal,
} from '@aman/service-kit';

import {
  assessmentStream,
  historyOf,
  type AssessmentCommand,
  type AssessmentEvent,
  type AssessmentHistory,
  type AssessmentState,
  type CaseFacts,
  type Circumstances,
  type RiskAssessedData,
  type RiskLevel,
  type ThreatFact,
} from '../domain/index.ts';

/** Who risk-assessment acts as when it re-assesses on its own (a consumed event, a timer). */
const SELF: Actor = { organisationId: 'risk-assessment', principalId: 'risk-assessment' };

/** Schema versions of the events whose shape changed since they were first written. */
const SCHEMA_VERSIONS = { CaseFactsRecorded: 2, RiskAssessed: 2 } as const;

export type OverrideRequest = {
  readonly caseId: string;
  readonly level: RiskLevel;
  readonly justification: string;
  readonly idempotencyKey: string;
  readonly expectedSequence: number;
};

/**
 * What happens when a case must be (re-)assessed: on intake's triage, on the events of intake
 * and accountability, when a scheduled re-assessment is due, on an assessor's override.
 */
export class Assessments {
  readonly #store: EventStore;
  readonly #decider: Decider<AssessmentState, AssessmentCommand, AssessmentEvent>;
  readonly #clock: () => Date;

  constructor(deps: {
    readonly store: EventStore;
    readonly decider: Decider<AssessmentState, AssessmentCommand, AssessmentEvent>;
    readonly clock?: () => Date;
  }) {
    this.#store = deps.store;
    this.#decider = deps.decider;
    this.#clock = deps.clock ?? (() => new Date());
  }

  #now(): string {
    return this.#clock().toISOString();
  }

  async #handle(
    caseId: string,
    command: AssessmentCommand,
    metadata: { actor: Actor; causationId?: string },
  ): Promise<AssessmentState> {
    const result = await handleCommand(
      this.#store,
      assessmentStream(caseId),
      this.#decider,
      command,
      {
        metadata: eventMetadata({ ...metadata, correlationId: caseId }),
        schemaVersions: SCHEMA_VERSIONS,
      },
    );
    return result.state;
  }

  /** Intake's synchronous triage, for the NGO that submitted the case. */
  async assessOnRequest(
    principal: Principal | undefined,
    caseId: string,
    facts: CaseFacts,
  ): Promise<RiskAssessedData | undefined> {
    requireNgo(principal, 'only an NGO’s case is triaged');
    const state = await this.#handle(
      caseId,
      {
        type: 'AssessCase',
        data: { caseId, organisationId: principal.organisationId, facts, assessedAt: this.#now() },
      },
      { actor: actorOf(principal) },
    );
    return state.latest;
  }

  /** An assessor of the case's NGO sets the level; the same key again answers the same. */
  async override(
    principal: Principal | undefined,
    request: OverrideRequest,
  ): Promise<RiskAssessedData> {
    requireNgo(principal, 'only the case’s NGO overrides its assessment');
    const state = await this.#handle(
      request.caseId,
      {
        type: 'OverrideAssessment',
        data: {
          caseId: request.caseId,
          organisationId: principal.organisationId,
          principalId: principal.keyId,
          level: request.level,
          justification: request.justification,
          idempotencyKey: request.idempotencyKey,
          expectedSequence: request.expectedSequence,
          overriddenAt: this.#now(),
        },
      },
      { actor: actorOf(principal) },
    );
    const done = state.overrides.find((made) => made.idempotencyKey === request.idempotencyKey);
    const history = await this.#history(request.caseId);
    const assessment = history.entries.find(
      (entry) => entry.assessment.sequence === done?.sequence,
    )?.assessment;
    if (assessment === undefined) throw new NotFoundError('no assessment of this case');
    return assessment;
  }

  /** The case's assessments and overrides, for its own NGO only. */
  async history(principal: Principal | undefined, caseId: string): Promise<AssessmentHistory> {
    requireNgo(principal, 'only the case’s NGO reads its assessments');
    const history = await this.#history(caseId);
    // Another organisation's case reads as one never assessed: its existence is not disclosed.
    if (history.organisationId !== principal.organisationId) {
      throw new NotFoundError('no assessment of this case');
    }
    return history;
  }

  async #history(caseId: string): Promise<AssessmentHistory> {
    return historyOf(await this.#store.readStream<AssessmentEvent>(assessmentStream(caseId)));
  }

  /** The case as its stream stands now. */
  async state(caseId: string): Promise<AssessmentState> {
    return (await loadState(this.#store, assessmentStream(caseId), this.#decider)).state;
  }

  /** A scheduled re-assessment is due. Idempotent: a timer that fires again decides nothing. */
  async reassessDue(caseId: string, sequence: number): Promise<void> {
    await this.#handle(
      caseId,
      { type: 'ReassessOnSchedule', data: { caseId, sequence, assessedAt: this.#now() } },
      { actor: SELF },
    );
  }

  /**
   * A consumed event from intake or accountability; idempotent, as delivery is at least once.
   * Returns the case's state afterwards, or undefined for an event that concerns no case.
   */
  async onEvent(event: ConsumedEvent): Promise<AssessmentState | undefined> {
    const command = commandOf(event, this.#now());
    if (command === undefined) return undefined;
    return this.#handle(command.data.caseId, command, { actor: SELF, causationId: event.id });
  }
}

function requireNgo(
  principal: Principal | undefined,
  refusal: string,
): asserts principal is Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'ngo') throw new ForbiddenError(refusal);
}

/** The command a consumed event asks for; values are checked by the decider. */
function commandOf(event: ConsumedEvent, now: string): AssessmentCommand | undefined {
  const data = event.data as Record<string, unknown>;
  const caseId = data['caseId'];
  if (typeof caseId !== 'string') return undefined;
  const organisationId = text(data['organisationId']);
  if (event.source === CONTEXTS.accountability.source && event.type === 'IncidentRecorded') {
    return {
      type: 'NoteIncident',
      data: {
        caseId,
        incidentId: text(data['incidentId']),
        act: data['act'] as never,
        perpetratorCategory: data['perpetratorCategory'] as never,
        occurredOn: text(data['occurredOn']),
        assessedAt: now,
      },
    };
  }
  if (event.source !== CONTEXTS.intake.source) return undefined;
  switch (event.type) {
    case 'CaseSubmitted':
      return {
        type: 'AssessCase',
        data: {
          caseId,
          organisationId,
          facts: caseFactsFromJson(data),
          assessedAt: now,
          cause: event.id,
        },
      };
    case 'CaseFactsUpdated':
      return {
        type: 'UpdateCircumstances',
        data: {
          caseId,
          organisationId,
          circumstances: circumstancesFromJson(data),
          cause: event.id,
          assessedAt: now,
        },
      };
    case 'ThreatReported':
      return {
        type: 'NoteThreat',
        data: {
          caseId,
          organisationId,
          threatId: event.id,
          threat: threatFromJson(data['threat']),
          assessedAt: now,
        },
      };
    case 'CaseWithdrawn':
    case 'CaseErased':
      return {
        type: 'StopReassessment',
        data: {
          caseId,
          reason: event.type === 'CaseWithdrawn' ? 'CASE_WITHDRAWN' : 'CASE_ERASED',
          stoppedAt: event.occurredAt,
        },
      };
    default:
      return undefined;
  }
}

/*
 * Case facts from their protobuf JSON form (an event, an AssessCase request), which leaves out
 * false booleans, unset enums and absent messages: they are put back, so the domain sees every
 * field. An unset enum stays `*_UNSPECIFIED`, which the decider refuses, naming the field.
 */

/** A string field, or '' (which the decider refuses, naming the field). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function threatFromJson(value: unknown): ThreatFact {
  const threat = objectOf(value);
  return {
    kind: (threat['kind'] ?? 'THREAT_KIND_UNSPECIFIED') as ThreatFact['kind'],
    occurredOn: typeof threat['occurredOn'] === 'string' ? threat['occurredOn'] : '',
    source: (threat['source'] ?? 'THREAT_SOURCE_UNSPECIFIED') as ThreatFact['source'],
    objective: (threat['objective'] ?? 'THREAT_OBJECTIVE_UNSPECIFIED') as ThreatFact['objective'],
    feasibility: (threat['feasibility'] ?? 'FEASIBILITY_UNSPECIFIED') as ThreatFact['feasibility'],
    declared: threat['declared'] === true,
  };
}

export function circumstancesFromJson(json: Record<string, unknown>): Circumstances {
  const vulnerabilities = objectOf(json['vulnerabilities']);
  const capacities = objectOf(json['capacities']);
  return {
    profile: (json['profile'] ?? 'PROFILE_UNSPECIFIED') as Circumstances['profile'],
    gender: (json['gender'] ?? 'GENDER_UNSPECIFIED') as Circumstances['gender'],
    outsideCapital: json['outsideCapital'] === true,
    familyExposed: json['familyExposed'] === true,
    vulnerabilities: {
      minority: vulnerabilities['minority'] === true,
      disability: vulnerabilities['disability'] === true,
      publicVisibility: vulnerabilities['publicVisibility'] === true,
    },
    capacities: {
      supportNetwork: capacities['supportNetwork'] === true,
      relocationOptions: capacities['relocationOptions'] === true,
      digitalSecurity: capacities['digitalSecurity'] === true,
    },
  };
}

export function caseFactsFromJson(json: Record<string, unknown>): CaseFacts {
  const threats = Array.isArray(json['threats']) ? (json['threats'] as unknown[]) : [];
  return { ...circumstancesFromJson(json), threats: threats.map(threatFromJson) };
}

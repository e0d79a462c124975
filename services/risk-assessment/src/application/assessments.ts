import { ForbiddenError, UnauthenticatedError } from '@aman/errors';
import { handleCommand, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, type ConsumedEvent, type Principal } from '@aman/service-kit';

import {
  assessmentDecider,
  assessmentStream,
  type CaseFacts,
  type RiskAssessedData,
} from '../domain/index.ts';

/** What happens when a case must be (re-)assessed: on request, on a submission, on an incident. */
export class Assessments {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /** Intake's synchronous triage, for the NGO that submitted the case. */
  async assessOnRequest(
    principal: Principal | undefined,
    caseId: string,
    facts: CaseFacts,
  ): Promise<RiskAssessedData | undefined> {
    if (principal === undefined) throw new UnauthenticatedError();
    if (principal.organisationType !== 'ngo')
      throw new ForbiddenError('only an NGO’s case is triaged');
    const result = await handleCommand(
      this.#store,
      assessmentStream(caseId),
      assessmentDecider,
      {
        type: 'AssessCase',
        data: {
          caseId,
          organisationId: principal.organisationId,
          facts,
          trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
          assessedAt: new Date().toISOString(),
        },
      },
      {
        metadata: eventMetadata({ actor: actorOf(principal), correlationId: caseId }),
      },
    );
    return result.state.latest;
  }

  /** A consumed event from intake or accountability; idempotent, as delivery is at least once. */
  async onEvent(event: ConsumedEvent): Promise<void> {
    const data = event.data as Record<string, unknown>;
    const caseId = typeof data['caseId'] === 'string' ? data['caseId'] : undefined;
    if (caseId === undefined) return;
    const actor = { organisationId: 'risk-assessment', principalId: 'risk-assessment' };
    if (event.type === 'CaseSubmitted') {
      const organisationId =
        typeof data['organisationId'] === 'string' ? data['organisationId'] : '';
      await handleCommand(
        this.#store,
        assessmentStream(caseId),
        assessmentDecider,
        {
          type: 'AssessCase',
          data: {
            caseId,
            organisationId,
            facts: caseFactsFromJson(data),
            trigger: 'ASSESSMENT_TRIGGER_SUBMISSION',
            assessedAt: new Date().toISOString(),
          },
        },
        { metadata: eventMetadata({ actor, correlationId: caseId, causationId: event.id }) },
      );
    } else if (event.type === 'IncidentRecorded') {
      await handleCommand(
        this.#store,
        assessmentStream(caseId),
        assessmentDecider,
        {
          type: 'NoteIncident',
          data: {
            caseId,
            incidentId: String(data['incidentId']),
            act: data['act'] as never,
            perpetratorCategory: data['perpetratorCategory'] as never,
            occurredOn: String(data['occurredOn']),
            assessedAt: new Date().toISOString(),
          },
        },
        { metadata: eventMetadata({ actor, correlationId: caseId, causationId: event.id }) },
      );
    }
  }
}

/**
 * Case facts from their protobuf JSON form (a CaseSubmitted event, an AssessCase request), which
 * leaves out false booleans and unset enums: they are put back, so the domain sees every field.
 */
export function caseFactsFromJson(json: Record<string, unknown>): CaseFacts {
  const threats = Array.isArray(json['threats'])
    ? (json['threats'] as Record<string, unknown>[])
    : [];
  return {
    profile: (json['profile'] ?? 'PROFILE_UNSPECIFIED') as CaseFacts['profile'],
    gender: (json['gender'] ?? 'GENDER_UNSPECIFIED') as CaseFacts['gender'],
    outsideCapital: json['outsideCapital'] === true,
    familyExposed: json['familyExposed'] === true,
    threats: threats.map((threat) => ({
      kind: (threat['kind'] ?? 'THREAT_KIND_UNSPECIFIED') as CaseFacts['threats'][number]['kind'],
      occurredOn: typeof threat['occurredOn'] === 'string' ? threat['occurredOn'] : '',
      byArmedOrStateActor: threat['byArmedOrStateActor'] === true,
    })),
  };
}

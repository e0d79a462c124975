import { NotFoundError, requireIdentifier } from '@aman/errors';
import { handleCommand, type Decider, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  createInterventionDecider,
  interventionStream,
  type Authority,
  type AuthorityResponse,
  type Compensation,
  type Impact,
  type InterventionCommand,
  type InterventionEvent,
  type InterventionState,
  type InterventionStatus,
  type InterventionType,
  type ResponsePolicy,
} from '../domain/index.ts';
import type { Incidents } from './incidents.ts';
import { monitor } from './monitor.ts';

/** What happens when a monitor records an intervention to an authority and what came of it. */
export class Interventions {
  readonly #store: EventStore;
  readonly #incidents: Incidents;
  readonly #decider: Decider<InterventionState, InterventionCommand, InterventionEvent>;

  constructor(store: EventStore, incidents: Incidents, policy: ResponsePolicy) {
    this.#store = store;
    this.#incidents = incidents;
    this.#decider = createInterventionDecider(policy);
  }

  /** Records it once per monitor and idempotency key, due by the policy's days for its type. */
  async record(
    principal: Principal | undefined,
    given: {
      readonly idempotencyKey: string;
      readonly incidentId: string;
      readonly type: InterventionType;
      readonly addressee: Authority;
      readonly sentAt: string;
    },
  ): Promise<{ readonly interventionId: string; readonly dueBy: string }> {
    const recorder = monitor(principal);
    await this.#incidents.requireRecorded(given.incidentId);
    const interventionId = idFrom('intervention', recorder.organisationId, given.idempotencyKey);
    const { state } = await handleCommand(
      this.#store,
      interventionStream(interventionId),
      this.#decider,
      {
        type: 'RecordIntervention',
        data: {
          ...given,
          interventionId,
          recordedByOrganisationId: recorder.organisationId,
          recordedAt: new Date().toISOString(),
        },
      },
      { metadata: eventMetadata({ actor: actorOf(recorder), correlationId: given.incidentId }) },
    );
    if (state.status === 'NOT_SENT') throw new NotFoundError('no such intervention');
    return { interventionId, dueBy: state.sent.dueBy };
  }

  async respond(
    principal: Principal | undefined,
    given: {
      readonly interventionId: string;
      readonly response: AuthorityResponse;
      readonly respondedAt: string;
      readonly impact: Impact;
      readonly compensation: Compensation;
    },
  ): Promise<{ readonly responseHours: number }> {
    const recorder = monitor(principal);
    const state = await this.#decide(recorder, given.interventionId, {
      type: 'RecordAuthorityResponse',
      data: {
        ...given,
        recordedByOrganisationId: recorder.organisationId,
        recordedAt: new Date().toISOString(),
      },
    });
    const first = state.status === 'NOT_SENT' ? undefined : state.responses[0];
    if (first === undefined) throw new NotFoundError('no such intervention');
    return { responseHours: first.responseHours };
  }

  async setStatus(
    principal: Principal | undefined,
    interventionId: string,
    status: InterventionStatus,
  ): Promise<void> {
    const recorder = monitor(principal);
    await this.#decide(recorder, interventionId, {
      type: 'SetInterventionStatus',
      data: {
        interventionId,
        status,
        changedByOrganisationId: recorder.organisationId,
        changedAt: new Date().toISOString(),
      },
    });
  }

  async #decide(
    recorder: Principal,
    interventionId: string,
    command: InterventionCommand,
  ): Promise<InterventionState> {
    const stream = interventionStream(requireIdentifier(interventionId, 'interventionId'));
    if ((await this.#store.streamVersion(stream)) === undefined) {
      throw new NotFoundError('no such intervention');
    }
    const { state } = await handleCommand(this.#store, stream, this.#decider, command, {
      metadata: eventMetadata({ actor: actorOf(recorder), correlationId: interventionId }),
    });
    return state;
  }
}

import { NotFoundError, requireIdentifier } from '@aman/errors';
import { handleCommand, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  investigationDecider,
  investigationStream,
  type Authority,
  type InvestigationOutcome,
  type InvestigationStatus,
  type InvestigationStep,
} from '../domain/index.ts';
import type { Incidents } from './incidents.ts';
import { monitor } from './monitor.ts';

/** What happens when a monitor records an investigation and its steps. */
export class Investigations {
  readonly #store: EventStore;
  readonly #incidents: Incidents;

  constructor(store: EventStore, incidents: Incidents) {
    this.#store = store;
    this.#incidents = incidents;
  }

  /** Opens it once per monitor and idempotency key; the incident must be recorded. */
  async open(
    principal: Principal | undefined,
    given: {
      readonly idempotencyKey: string;
      readonly incidentId: string;
      readonly body: Authority;
      readonly openedOn: string;
    },
  ): Promise<{ readonly investigationId: string }> {
    const recorder = monitor(principal);
    await this.#incidents.requireRecorded(given.incidentId);
    const investigationId = idFrom('investigation', recorder.organisationId, given.idempotencyKey);
    await handleCommand(
      this.#store,
      investigationStream(investigationId),
      investigationDecider,
      {
        type: 'OpenInvestigation',
        data: {
          ...given,
          investigationId,
          recordedByOrganisationId: recorder.organisationId,
          recordedAt: new Date().toISOString(),
        },
      },
      { metadata: eventMetadata({ actor: actorOf(recorder), correlationId: given.incidentId }) },
    );
    return { investigationId };
  }

  /** A step in the lifecycle's order; anything else is AMAN_ERR_ILLEGAL_STATE. */
  async recordStep(
    principal: Principal | undefined,
    given: {
      readonly investigationId: string;
      readonly step: InvestigationStep;
      readonly on: string;
      readonly outcome?: InvestigationOutcome | undefined;
    },
  ): Promise<{ readonly status: InvestigationStatus }> {
    const recorder = monitor(principal);
    const stream = investigationStream(requireIdentifier(given.investigationId, 'investigationId'));
    if ((await this.#store.streamVersion(stream)) === undefined) {
      throw new NotFoundError('no such investigation');
    }
    const { state } = await handleCommand(
      this.#store,
      stream,
      investigationDecider,
      {
        type: 'RecordInvestigationStep',
        data: {
          ...given,
          recordedByOrganisationId: recorder.organisationId,
          recordedAt: new Date().toISOString(),
        },
      },
      {
        metadata: eventMetadata({ actor: actorOf(recorder), correlationId: given.investigationId }),
      },
    );
    if (state.status === 'NOT_OPENED') throw new NotFoundError('no such investigation');
    return { status: state.status };
  }
}

import { ForbiddenError, UnauthenticatedError } from '@aman/errors';
import { handleCommand, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import { incidentDecider, incidentStream, type RecordIncident } from '../domain/index.ts';

/** What a monitor says happened, in the domain's vocabulary; the ids are Aman's to mint. */
export type IncidentReport = Omit<
  RecordIncident['data'],
  'incidentId' | 'recordedByOrganisationId' | 'recordedAt'
>;

function monitor(principal: Principal | undefined): Principal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.organisationType !== 'monitor') {
    throw new ForbiddenError('only a monitor records incidents');
  }
  return principal;
}

/** What happens when a monitor records an incident. */
export class Incidents {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /**
   * Records the incident once per monitor and idempotency key: a retry returns the same id and
   * appends nothing; the same key for a different incident is an idempotency conflict.
   */
  async record(
    principal: Principal | undefined,
    report: IncidentReport,
  ): Promise<{ readonly incidentId: string }> {
    const recorder = monitor(principal);
    const incidentId = idFrom('incident', recorder.organisationId, report.idempotencyKey);
    await handleCommand(
      this.#store,
      incidentStream(incidentId),
      incidentDecider,
      {
        type: 'RecordIncident',
        data: {
          ...report,
          incidentId,
          recordedByOrganisationId: recorder.organisationId,
          recordedAt: new Date().toISOString(),
        },
      },
      {
        // The incident belongs to the journey of the case it was recorded against.
        metadata: eventMetadata({ actor: actorOf(recorder), correlationId: report.caseId }),
      },
    );
    return { incidentId };
  }
}

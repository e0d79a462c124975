import { NotFoundError, requireIdentifier } from '@aman/errors';
import { handleCommand, type EventStore } from '@aman/eventstore';
import { actorOf, eventMetadata, idFrom, type Principal } from '@aman/service-kit';

import {
  incidentDecider,
  incidentStream,
  type RecordIncident,
  type VerificationStatus,
} from '../domain/index.ts';
import { monitor } from './monitor.ts';

/** What a monitor says happened, in the domain's vocabulary; the ids are Aman's to mint. */
export type IncidentReport = Omit<
  RecordIncident['data'],
  'incidentId' | 'recordedByOrganisationId' | 'recordedAt'
>;

/** What happens when a monitor records an incident or changes its verification. */
export class Incidents {
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  /**
   * Records the incident once per monitor and idempotency key: a retry returns the same id and
   * appends nothing; the same key for a different incident is an idempotency conflict. Each case
   * among the victims is told (IncidentRecorded), so its risk is re-assessed.
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
        // The incident belongs to the journey of the first case it was recorded against.
        metadata: eventMetadata({
          actor: actorOf(recorder),
          correlationId: firstCaseOf(report) ?? incidentId,
        }),
      },
    );
    return { incidentId };
  }

  async setVerification(
    principal: Principal | undefined,
    incidentId: string,
    verificationStatus: VerificationStatus,
  ): Promise<void> {
    const recorder = monitor(principal);
    await this.requireRecorded(incidentId);
    await handleCommand(
      this.#store,
      incidentStream(incidentId),
      incidentDecider,
      {
        type: 'SetIncidentVerification',
        data: {
          incidentId,
          verificationStatus,
          changedByOrganisationId: recorder.organisationId,
          changedAt: new Date().toISOString(),
        },
      },
      { metadata: eventMetadata({ actor: actorOf(recorder), correlationId: incidentId }) },
    );
  }

  /** Investigations and interventions are about an incident Aman holds. */
  async requireRecorded(incidentId: string): Promise<void> {
    const stream = incidentStream(requireIdentifier(incidentId, 'incidentId'));
    if ((await this.#store.streamVersion(stream)) === undefined) {
      throw new NotFoundError('no such incident');
    }
  }
}

function firstCaseOf(report: IncidentReport): string | undefined {
  for (const act of report.acts) if ('caseId' in act.victim) return act.victim.caseId;
  return undefined;
}

import { IdempotencyConflictError, IllegalStateError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { requireDate, requireIdentifier, requireOneOf, requireTimestamp } from '@aman/errors';
import { ACTS, PERPETRATOR_CATEGORIES, SOURCE_TYPES } from './vocabulary.ts';
import type { Act, PerpetratorCategory, SourceType } from './vocabulary.ts';

/** One incident ("who did what to whom", HURIDOCS): `incident-<incidentId>`. */
export function incidentStream(incidentId: string): string {
  return `incident-${incidentId}`;
}

/** Public: aman.accountability.v1.IncidentRecorded as protobuf JSON. */
export type IncidentRecordedData = {
  readonly incidentId: string;
  /** The victim, by case id: no names. */
  readonly caseId: string;
  readonly act: Act;
  /** YYYY-MM-DD. */
  readonly occurredOn: string;
  /** ISO 3166-2 subdivision code, e.g. AF-KAB. */
  readonly province: string;
  readonly perpetratorCategory: PerpetratorCategory;
  readonly sourceType: SourceType;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type IncidentRecorded = DomainEvent<'IncidentRecorded', IncidentRecordedData>;

/** Private: the idempotency key the incident was recorded with, so a retry is recognised. */
export type IdempotencyKeyUsed = DomainEvent<
  'IdempotencyKeyUsed',
  { readonly incidentId: string; readonly idempotencyKey: string }
>;

export type IncidentEvent = IncidentRecorded | IdempotencyKeyUsed;

export type RecordIncident = {
  readonly type: 'RecordIncident';
  readonly data: {
    readonly incidentId: string;
    readonly idempotencyKey: string;
    readonly caseId: string;
    readonly act: Act;
    readonly occurredOn: string;
    readonly province: string;
    readonly perpetratorCategory: PerpetratorCategory;
    readonly sourceType: SourceType;
    readonly recordedByOrganisationId: string;
    readonly recordedAt: string;
  };
};
export type IncidentCommand = RecordIncident;

export type IncidentState =
  | { readonly status: 'NOT_RECORDED' }
  | {
      readonly status: 'RECORDED';
      readonly incident: IncidentRecordedData;
      /** Null only between the two events of one recording. */
      readonly idempotencyKey: string | null;
    };

// Printable ASCII without spaces, as long as the keys clients commonly send (Stripe: 255).
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const PROVINCE = /^[A-Z]{2}-[A-Z0-9]{1,3}$/;
// The date is where the incident happened: up to UTC+14 is already the next day there.
const LATEST_OFFSET_MS = 14 * 60 * 60 * 1000;

function recordIncident(command: RecordIncident, state: IncidentState): IncidentEvent[] {
  const { data } = command;
  const idempotencyKey = requireIdempotencyKey(data.idempotencyKey);
  const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
  const incident: IncidentRecordedData = {
    incidentId: requireIdentifier(data.incidentId, 'incidentId'),
    caseId: requireIdentifier(data.caseId, 'caseId'),
    act: requireOneOf(data.act, ACTS, 'act'),
    occurredOn: requireOccurredOn(data.occurredOn, recordedAt),
    province: requireProvince(data.province),
    perpetratorCategory: requireOneOf(
      data.perpetratorCategory,
      PERPETRATOR_CATEGORIES,
      'perpetratorCategory',
    ),
    sourceType: requireOneOf(data.sourceType, SOURCE_TYPES, 'sourceType'),
    recordedByOrganisationId: requireIdentifier(
      data.recordedByOrganisationId,
      'recordedByOrganisationId',
    ),
    recordedAt,
  };

  if (state.status === 'RECORDED') {
    if (state.idempotencyKey !== idempotencyKey) {
      throw new IllegalStateError('this incident id is already recorded under another request');
    }
    // A retry is recorded at a later time; everything the monitor said must be the same.
    if (sameIncident(state.incident, incident)) return [];
    throw new IdempotencyConflictError(
      'this idempotency key was already used to record a different incident',
    );
  }

  return [
    { type: 'IncidentRecorded', data: incident },
    { type: 'IdempotencyKeyUsed', data: { incidentId: incident.incidentId, idempotencyKey } },
  ];
}

function requireIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError('idempotencyKey must be 1 to 255 printable ASCII characters');
  }
  return value;
}

function requireOccurredOn(value: unknown, recordedAt: string): string {
  const occurredOn = requireDate(value, 'occurredOn');
  const latest = new Date(Date.parse(recordedAt) + LATEST_OFFSET_MS).toISOString().slice(0, 10);
  if (occurredOn > latest) {
    throw new ValidationError('occurredOn must not be after the day the incident is recorded');
  }
  return occurredOn;
}

function requireProvince(value: unknown): string {
  if (typeof value !== 'string' || !PROVINCE.test(value)) {
    throw new ValidationError('province must be an ISO 3166-2 subdivision code such as AF-KAB');
  }
  return value;
}

function sameIncident(a: IncidentRecordedData, b: IncidentRecordedData): boolean {
  return (
    a.caseId === b.caseId &&
    a.act === b.act &&
    a.occurredOn === b.occurredOn &&
    a.province === b.province &&
    a.perpetratorCategory === b.perpetratorCategory &&
    a.sourceType === b.sourceType &&
    a.recordedByOrganisationId === b.recordedByOrganisationId
  );
}

export const incidentDecider: Decider<IncidentState, IncidentCommand, IncidentEvent> = {
  initialState: () => ({ status: 'NOT_RECORDED' }),
  decide: (command, state) => recordIncident(command, state),
  evolve: (state, event) => {
    switch (event.type) {
      case 'IncidentRecorded':
        return { status: 'RECORDED', incident: event.data, idempotencyKey: null };
      case 'IdempotencyKeyUsed':
        return state.status === 'RECORDED'
          ? { ...state, idempotencyKey: event.data.idempotencyKey }
          : state;
    }
  },
};

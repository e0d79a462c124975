import { IllegalStateError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { requireIdentifier, requireOneOf, requireTimestamp } from '@aman/errors';
import { sameExcept } from './sameExcept.ts';
import {
  AUTHORITIES,
  AUTHORITY_RESPONSES,
  COMPENSATIONS,
  IMPACTS,
  INTERVENTION_STATUSES,
  INTERVENTION_TYPES,
} from './vocabulary.ts';
import type {
  Authority,
  AuthorityResponse,
  Compensation,
  Impact,
  InterventionStatus,
  InterventionType,
} from './vocabulary.ts';

/** One intervention to one authority: `intervention-<interventionId>`. */
export function interventionStream(interventionId: string): string {
  return `intervention-${interventionId}`;
}

/** How long each type of intervention gives the authority to respond, in days. */
export type ResponsePolicy = Readonly<Record<InterventionType, number>>;

/**
 * An early warning is worth something only if acted on at once; a request for protection within
 * the urgent referral class (72 h); a complaint within the two weeks of a normal referral.
 */
export const DEFAULT_RESPONSE_POLICY: ResponsePolicy = {
  INTERVENTION_TYPE_EARLY_WARNING: 2,
  INTERVENTION_TYPE_REQUEST_FOR_PROTECTION: 3,
  INTERVENTION_TYPE_COMPLAINT: 14,
  INTERVENTION_TYPE_DEMAND_FOR_INVESTIGATION: 30,
  INTERVENTION_TYPE_PETITION_TO_OVERTURN_DECISION: 30,
  INTERVENTION_TYPE_OTHER: 30,
};

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** When the authority's response is due: the policy's days after sending, to the millisecond. */
export function dueBy(sentAt: string, type: InterventionType, policy: ResponsePolicy): string {
  return new Date(Date.parse(sentAt) + policy[type] * DAY_MS).toISOString();
}

export type InterventionSentData = {
  readonly interventionId: string;
  readonly incidentId: string;
  readonly type: InterventionType;
  readonly addressee: Authority;
  readonly sentAt: string;
  readonly dueBy: string;
  readonly idempotencyKey: string;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type InterventionSent = DomainEvent<'InterventionSent', InterventionSentData>;

export type AuthorityRespondedData = {
  readonly interventionId: string;
  readonly response: AuthorityResponse;
  readonly respondedAt: string;
  readonly impact: Impact;
  readonly compensation: Compensation;
  /** From sending to this response, in whole hours. */
  readonly responseHours: number;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type AuthorityResponded = DomainEvent<'AuthorityResponded', AuthorityRespondedData>;

export type InterventionStatusChanged = DomainEvent<
  'InterventionStatusChanged',
  {
    readonly interventionId: string;
    readonly status: InterventionStatus;
    readonly changedByOrganisationId: string;
    readonly changedAt: string;
  }
>;

export type InterventionEvent = InterventionSent | AuthorityResponded | InterventionStatusChanged;

export type RecordIntervention = {
  readonly type: 'RecordIntervention';
  readonly data: Omit<InterventionSentData, 'dueBy'>;
};
export type RecordAuthorityResponse = {
  readonly type: 'RecordAuthorityResponse';
  readonly data: Omit<AuthorityRespondedData, 'responseHours'>;
};
export type SetInterventionStatus = {
  readonly type: 'SetInterventionStatus';
  readonly data: InterventionStatusChanged['data'];
};
export type InterventionCommand =
  RecordIntervention | RecordAuthorityResponse | SetInterventionStatus;

export type InterventionState =
  | { readonly status: 'NOT_SENT' }
  | {
      readonly status: InterventionStatus;
      readonly sent: InterventionSentData;
      readonly responses: readonly AuthorityRespondedData[];
    };

// A sending date a little ahead of the server's clock is a clock skew, not a typo.
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function requireNotAfter(value: unknown, latest: string, field: string): string {
  const at = requireTimestamp(value, field);
  if (Date.parse(at) > Date.parse(latest) + CLOCK_SKEW_MS) {
    throw new ValidationError(`${field} must not be in the future`);
  }
  return at;
}

function requireKey(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new ValidationError('idempotencyKey must be 1 to 255 printable ASCII characters');
  }
  return value;
}

export function createInterventionDecider(
  policy: ResponsePolicy = DEFAULT_RESPONSE_POLICY,
): Decider<InterventionState, InterventionCommand, InterventionEvent> {
  function record(command: RecordIntervention, state: InterventionState): InterventionEvent[] {
    const { data } = command;
    const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
    const type = requireOneOf(data.type, INTERVENTION_TYPES, 'type');
    const sentAt = requireNotAfter(data.sentAt, recordedAt, 'sentAt');
    const sent: InterventionSentData = {
      interventionId: requireIdentifier(data.interventionId, 'interventionId'),
      incidentId: requireIdentifier(data.incidentId, 'incidentId'),
      type,
      addressee: requireOneOf(data.addressee, AUTHORITIES, 'addressee'),
      sentAt,
      dueBy: dueBy(sentAt, type, policy),
      idempotencyKey: requireKey(data.idempotencyKey),
      recordedByOrganisationId: requireIdentifier(
        data.recordedByOrganisationId,
        'recordedByOrganisationId',
      ),
      recordedAt,
    };
    if (state.status !== 'NOT_SENT') {
      // A retry: the same request, whatever the policy says now (the due date stays as set).
      if (sameExcept(state.sent, sent, ['recordedAt', 'dueBy'])) return [];
      throw new IllegalStateError('this intervention is already recorded');
    }
    return [{ type: 'InterventionSent', data: sent }];
  }

  function respond(
    command: RecordAuthorityResponse,
    state: InterventionState,
  ): InterventionEvent[] {
    const { data } = command;
    const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
    const response = requireOneOf(data.response, AUTHORITY_RESPONSES, 'response');
    const respondedAt = requireNotAfter(data.respondedAt, recordedAt, 'respondedAt');
    const impact = requireOneOf(data.impact, IMPACTS, 'impact');
    const compensation = requireOneOf(data.compensation, COMPENSATIONS, 'compensation');
    const recordedByOrganisationId = requireIdentifier(
      data.recordedByOrganisationId,
      'recordedByOrganisationId',
    );
    if (state.status === 'NOT_SENT')
      throw new IllegalStateError('the intervention is not recorded');
    const same = state.responses.find(
      (known) =>
        known.response === response &&
        known.respondedAt === respondedAt &&
        known.impact === impact &&
        known.compensation === compensation,
    );
    if (same !== undefined) return [];
    if (state.status === 'INTERVENTION_STATUS_CLOSED') {
      throw new IllegalStateError('the intervention is closed');
    }
    if (Date.parse(respondedAt) < Date.parse(state.sent.sentAt)) {
      throw new ValidationError('respondedAt must not be before the intervention was sent');
    }
    return [
      {
        type: 'AuthorityResponded',
        data: {
          interventionId: state.sent.interventionId,
          response,
          respondedAt,
          impact,
          compensation,
          responseHours: responseHours(state.sent.sentAt, respondedAt),
          recordedByOrganisationId,
          recordedAt,
        },
      },
    ];
  }

  function setStatus(
    command: SetInterventionStatus,
    state: InterventionState,
  ): InterventionEvent[] {
    const { data } = command;
    const status = requireOneOf(data.status, INTERVENTION_STATUSES, 'status');
    const changedAt = requireTimestamp(data.changedAt, 'changedAt');
    const changedByOrganisationId = requireIdentifier(
      data.changedByOrganisationId,
      'changedByOrganisationId',
    );
    if (state.status === 'NOT_SENT')
      throw new IllegalStateError('the intervention is not recorded');
    if (state.status === status) return [];
    if (state.status === 'INTERVENTION_STATUS_CLOSED') {
      throw new IllegalStateError('the intervention is closed');
    }
    return [
      {
        type: 'InterventionStatusChanged',
        data: {
          interventionId: state.sent.interventionId,
          status,
          changedByOrganisationId,
          changedAt,
        },
      },
    ];
  }

  return {
    initialState: () => ({ status: 'NOT_SENT' }),
    decide: (command, state) => {
      switch (command.type) {
        case 'RecordIntervention':
          return record(command, state);
        case 'RecordAuthorityResponse':
          return respond(command, state);
        case 'SetInterventionStatus':
          return setStatus(command, state);
      }
    },
    evolve: evolveIntervention,
  };
}

/** Whole hours from sending to a response. */
export function responseHours(sentAt: string, respondedAt: string): number {
  return Math.floor((Date.parse(respondedAt) - Date.parse(sentAt)) / HOUR_MS);
}

export function evolveIntervention(
  state: InterventionState,
  event: InterventionEvent,
): InterventionState {
  switch (event.type) {
    case 'InterventionSent':
      return { status: 'INTERVENTION_STATUS_ACTION_PENDING', sent: event.data, responses: [] };
    case 'AuthorityResponded':
      return state.status === 'NOT_SENT'
        ? state
        : { ...state, responses: [...state.responses, event.data] };
    case 'InterventionStatusChanged':
      return state.status === 'NOT_SENT' ? state : { ...state, status: event.data.status };
  }
}

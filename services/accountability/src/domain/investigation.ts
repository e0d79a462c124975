import { IllegalStateError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { requireDate, requireIdentifier, requireOneOf, requireTimestamp } from '@aman/errors';
import { sameExcept } from './sameExcept.ts';
import { AUTHORITIES, INVESTIGATION_OUTCOMES, INVESTIGATION_STEPS } from './vocabulary.ts';
import type {
  Authority,
  InvestigationOutcome,
  InvestigationStatus,
  InvestigationStep,
} from './vocabulary.ts';

/** One investigation by one body into one incident: `investigation-<investigationId>`. */
export function investigationStream(investigationId: string): string {
  return `investigation-${investigationId}`;
}

export type InvestigationOpenedData = {
  readonly investigationId: string;
  readonly incidentId: string;
  readonly body: Authority;
  /** YYYY-MM-DD. */
  readonly openedOn: string;
  readonly idempotencyKey: string;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type InvestigationOpened = DomainEvent<'InvestigationOpened', InvestigationOpenedData>;

export type InvestigationStepRecordedData = {
  readonly investigationId: string;
  readonly incidentId: string;
  readonly step: InvestigationStep;
  /** YYYY-MM-DD. */
  readonly on: string;
  /** Only for INVESTIGATION_STEP_OUTCOME. */
  readonly outcome?: InvestigationOutcome;
  readonly recordedByOrganisationId: string;
  readonly recordedAt: string;
};
export type InvestigationStepRecorded = DomainEvent<
  'InvestigationStepRecorded',
  InvestigationStepRecordedData
>;

export type InvestigationEvent = InvestigationOpened | InvestigationStepRecorded;

export type OpenInvestigation = {
  readonly type: 'OpenInvestigation';
  readonly data: Omit<InvestigationOpenedData, never>;
};
export type RecordInvestigationStep = {
  readonly type: 'RecordInvestigationStep';
  readonly data: {
    readonly investigationId: string;
    readonly step: InvestigationStep;
    readonly on: string;
    readonly outcome?: InvestigationOutcome | undefined;
    readonly recordedByOrganisationId: string;
    readonly recordedAt: string;
  };
};
export type InvestigationCommand = OpenInvestigation | RecordInvestigationStep;

export type InvestigationState =
  | { readonly status: 'NOT_OPENED' }
  | {
      readonly status: InvestigationStatus;
      readonly opened: InvestigationOpenedData;
      /** The steps taken, in order: what a retry is compared with. */
      readonly steps: readonly InvestigationStepRecordedData[];
    };

/**
 * The lifecycle: each step leads from the statuses listed to the next. A suspect must be
 * identified before being charged, charged before being tried, tried before an outcome; an
 * investigation closes without accountability at any point before a trial.
 */
const TRANSITIONS: Readonly<
  Record<InvestigationStep, { from: readonly InvestigationStatus[]; to: InvestigationStatus }>
> = {
  INVESTIGATION_STEP_SUSPECT_IDENTIFIED: {
    from: ['INVESTIGATION_STATUS_OPENED'],
    to: 'INVESTIGATION_STATUS_SUSPECT_IDENTIFIED',
  },
  INVESTIGATION_STEP_CHARGED: {
    from: ['INVESTIGATION_STATUS_SUSPECT_IDENTIFIED'],
    to: 'INVESTIGATION_STATUS_CHARGED',
  },
  INVESTIGATION_STEP_TRIED: {
    from: ['INVESTIGATION_STATUS_CHARGED'],
    to: 'INVESTIGATION_STATUS_TRIED',
  },
  INVESTIGATION_STEP_OUTCOME: {
    from: ['INVESTIGATION_STATUS_TRIED'],
    to: 'INVESTIGATION_STATUS_CONCLUDED',
  },
  INVESTIGATION_STEP_CLOSED_WITHOUT_ACCOUNTABILITY: {
    from: [
      'INVESTIGATION_STATUS_OPENED',
      'INVESTIGATION_STATUS_SUSPECT_IDENTIFIED',
      'INVESTIGATION_STATUS_CHARGED',
    ],
    to: 'INVESTIGATION_STATUS_CLOSED_WITHOUT_ACCOUNTABILITY',
  },
};

function openInvestigation(
  command: OpenInvestigation,
  state: InvestigationState,
): InvestigationEvent[] {
  const { data } = command;
  const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
  const opened: InvestigationOpenedData = {
    investigationId: requireIdentifier(data.investigationId, 'investigationId'),
    incidentId: requireIdentifier(data.incidentId, 'incidentId'),
    body: requireOneOf(data.body, AUTHORITIES, 'body'),
    openedOn: requireDayNotAfter(data.openedOn, recordedAt, 'openedOn'),
    idempotencyKey: requireIdentifierKey(data.idempotencyKey),
    recordedByOrganisationId: requireIdentifier(
      data.recordedByOrganisationId,
      'recordedByOrganisationId',
    ),
    recordedAt,
  };
  if (state.status !== 'NOT_OPENED') {
    if (sameExcept(state.opened, opened, ['recordedAt'])) return [];
    throw new IllegalStateError('this investigation is already open');
  }
  return [{ type: 'InvestigationOpened', data: opened }];
}

function recordStep(
  command: RecordInvestigationStep,
  state: InvestigationState,
): InvestigationEvent[] {
  const { data } = command;
  const step = requireOneOf(data.step, INVESTIGATION_STEPS, 'step');
  const recordedAt = requireTimestamp(data.recordedAt, 'recordedAt');
  const on = requireDayNotAfter(data.on, recordedAt, 'on');
  const outcome =
    step === 'INVESTIGATION_STEP_OUTCOME'
      ? requireOneOf(data.outcome, INVESTIGATION_OUTCOMES, 'outcome')
      : undefined;
  if (step !== 'INVESTIGATION_STEP_OUTCOME' && data.outcome !== undefined) {
    throw new ValidationError('outcome is given only with INVESTIGATION_STEP_OUTCOME');
  }
  const recordedByOrganisationId = requireIdentifier(
    data.recordedByOrganisationId,
    'recordedByOrganisationId',
  );
  if (state.status === 'NOT_OPENED') {
    throw new IllegalStateError('the investigation is not open');
  }
  // A retry of the step last taken, as it was said, changes nothing.
  const last = state.steps[state.steps.length - 1];
  if (last !== undefined && last.step === step && last.on === on && last.outcome === outcome) {
    return [];
  }
  const transition = TRANSITIONS[step];
  if (!transition.from.includes(state.status)) {
    throw new IllegalStateError(`${step} cannot follow ${state.status}`);
  }
  const previous = last?.on ?? state.opened.openedOn;
  if (on < previous) {
    throw new ValidationError('on must not be before the investigation’s previous step');
  }
  return [
    {
      type: 'InvestigationStepRecorded',
      data: {
        investigationId: state.opened.investigationId,
        incidentId: state.opened.incidentId,
        step,
        on,
        ...(outcome === undefined ? {} : { outcome }),
        recordedByOrganisationId,
        recordedAt,
      },
    },
  ];
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function requireIdentifierKey(value: unknown): string {
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new ValidationError('idempotencyKey must be 1 to 255 printable ASCII characters');
  }
  return value;
}

// A date where it happened: up to UTC+14 is already the next day there.
const LATEST_OFFSET_MS = 14 * 60 * 60 * 1000;

function requireDayNotAfter(value: unknown, recordedAt: string, field: string): string {
  const day = requireDate(value, field);
  const latest = new Date(Date.parse(recordedAt) + LATEST_OFFSET_MS).toISOString().slice(0, 10);
  if (day > latest) throw new ValidationError(`${field} must not be after the day it is recorded`);
  return day;
}

/** The status an investigation's steps lead to. */
export function statusAfter(step: InvestigationStep): InvestigationStatus {
  return TRANSITIONS[step].to;
}

export function evolveInvestigation(
  state: InvestigationState,
  event: InvestigationEvent,
): InvestigationState {
  switch (event.type) {
    case 'InvestigationOpened':
      return { status: 'INVESTIGATION_STATUS_OPENED', opened: event.data, steps: [] };
    case 'InvestigationStepRecorded':
      return state.status === 'NOT_OPENED'
        ? state
        : {
            ...state,
            status: statusAfter(event.data.step),
            steps: [...state.steps, event.data],
          };
  }
}

export const investigationDecider: Decider<
  InvestigationState,
  InvestigationCommand,
  InvestigationEvent
> = {
  initialState: () => ({ status: 'NOT_OPENED' }),
  decide: (command, state) =>
    command.type === 'OpenInvestigation'
      ? openInvestigation(command, state)
      : recordStep(command, state),
  evolve: evolveInvestigation,
};

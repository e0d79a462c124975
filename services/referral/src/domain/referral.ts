import { IllegalStateError, NotFoundError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { deadlinesOf, tightened } from './deadlines.ts';
import { requireIdentifier, requireOneOf, requireTimestamp } from './validation.ts';
import {
  DEADLINES,
  DEADLINE_CLASSES,
  NOTICES,
  RECIPIENT_TYPES,
  REFERRAL_ACTIONS,
  REVOCATION_REASONS,
} from './vocabulary.ts';
import type {
  Deadline,
  DeadlineClass,
  ExpiryReason,
  Notice,
  RecipientType,
  ReferralAction,
  ReferralStatus,
  RevocationReason,
} from './vocabulary.ts';

/** One case sent to one provider: `referral-<referralId>`. */
export function referralStream(referralId: string): string {
  return `referral-${referralId}`;
}

/** Public: aman.referral.v1.ReferralRouted as protobuf JSON. */
export type ReferralRoutedData = {
  readonly referralId: string;
  readonly caseId: string;
  readonly providerOrganisationId: string;
  /** The case's NGO. */
  readonly organisationId: string;
  readonly recipientType: RecipientType;
  readonly reasons: string[];
  readonly deadlineClass: DeadlineClass;
  /** The acknowledgement deadline, as before issue 9 (equal to `acknowledgeBy`). */
  readonly respondBy: string;
  readonly routedAt: string;
  /**
   * The programme it was matched to ('' for the provider itself) and its criteria version; when
   * the provider must have acknowledged, then decided. Absent from events stored before issue 9.
   */
  readonly programmeId?: string;
  readonly criteriaVersion?: number;
  readonly acknowledgeBy?: string;
  readonly decideBy?: string;
};
export type ReferralRouted = DomainEvent<'ReferralRouted', ReferralRoutedData>;

/** A routing as the referral's state holds it: every field, older events completed. */
export type RoutedReferral = Required<ReferralRoutedData>;

/** Public: aman.referral.v1.ReferralStatusChanged as protobuf JSON (`reason` is '' when none). */
export type ReferralStatusChangedData = {
  readonly referralId: string;
  readonly caseId: string;
  readonly providerOrganisationId: string;
  readonly organisationId: string;
  readonly status: ReferralStatus;
  readonly reason: string;
  readonly changedAt: string;
};
export type ReferralStatusChanged = DomainEvent<'ReferralStatusChanged', ReferralStatusChangedData>;

/**
 * Private: the case of a referral that had already ended (declined, completed, revoked) was
 * erased, and its provider, who may have kept copies, is to be asked to delete them.
 */
export type ErasureRequestedData = {
  readonly referralId: string;
  readonly caseId: string;
  readonly providerOrganisationId: string;
  readonly organisationId: string;
  readonly requestedAt: string;
};
export type ErasureRequested = DomainEvent<'ErasureRequested', ErasureRequestedData>;

/** Private: the provider's endpoint accepted a revocation or erasure notice (a 2xx answer). */
export type ProviderNotifiedData = {
  readonly referralId: string;
  readonly notice: Notice;
  readonly notifiedAt: string;
};
export type ProviderNotified = DomainEvent<'ProviderNotified', ProviderNotifiedData>;

/** The ids every referral event repeats, so read models scope it without a lookup. */
type ReferralIds = Pick<
  ReferralRoutedData,
  'referralId' | 'caseId' | 'providerOrganisationId' | 'organisationId'
>;

/** Public: the provider fetched the packet for the first time ("seen" is a time, not a state). */
export type ReferralSeenData = ReferralIds & { readonly seenAt: string };
export type ReferralSeen = DomainEvent<'ReferralSeen', ReferralSeenData>;

/** Public: a raised risk level brought the open deadlines forward. */
export type ReferralDeadlinesChangedData = ReferralIds & {
  readonly deadlineClass: DeadlineClass;
  readonly acknowledgeBy: string;
  readonly decideBy: string;
  readonly changedAt: string;
};
export type ReferralDeadlinesChanged = DomainEvent<
  'ReferralDeadlinesChanged',
  ReferralDeadlinesChangedData
>;

/**
 * Public: a deadline passed without the provider's answer; the NGO is told, and routing sends the
 * needs it covered to the next ranked provider.
 */
export type ReferralEscalatedData = ReferralIds & {
  readonly missed: Deadline;
  readonly deadline: string;
  readonly escalatedAt: string;
};
export type ReferralEscalated = DomainEvent<'ReferralEscalated', ReferralEscalatedData>;

/** Public: the programme of a pending referral filled, was suspended or closed. */
export type ReferralProgrammeChangedData = ReferralIds & {
  readonly programmeId: string;
  readonly programmeStatus: string;
  readonly changedAt: string;
};
export type ReferralProgrammeChanged = DomainEvent<
  'ReferralProgrammeChanged',
  ReferralProgrammeChangedData
>;

export type ReferralEvent =
  | ReferralRouted
  | ReferralStatusChanged
  | ErasureRequested
  | ProviderNotified
  | ReferralSeen
  | ReferralDeadlinesChanged
  | ReferralEscalated
  | ReferralProgrammeChanged;

export type RouteReferral = {
  readonly type: 'RouteReferral';
  readonly data: {
    readonly referralId: string;
    readonly caseId: string;
    readonly providerOrganisationId: string;
    readonly organisationId: string;
    readonly recipientType: RecipientType;
    readonly reasons: readonly string[];
    readonly deadlineClass: DeadlineClass;
    /** From the case's newest RiskAssessed; 0 when it had none (older events): the class's. */
    readonly acknowledgeWithinSeconds: number;
    readonly decideWithinSeconds: number;
    readonly programmeId?: string;
    readonly criteriaVersion?: number;
    readonly routedAt: string;
  };
};

/** A notice's webhook reached the provider (a 2xx answer). */
export type RecordDelivery = {
  readonly type: 'RecordDelivery';
  readonly data: { readonly notice: Notice; readonly at: string };
};

/** The case no longer allows the referral: consent lost, the case withdrawn or erased. */
export type Revoke = {
  readonly type: 'Revoke';
  readonly data: { readonly reason: RevocationReason; readonly at: string };
};

/** A provider's answer; `providerOrganisationId` is the authenticated caller's organisation. */
export type Respond = {
  readonly type: 'Respond';
  readonly data: {
    readonly action: ReferralAction;
    /** Required to decline: a category, never personal data. '' otherwise. */
    readonly reason: string;
    readonly providerOrganisationId: string;
    readonly at: string;
  };
};

/** The NGO answered the provider's request for information; `organisationId` is the caller's. */
export type AnswerInfoRequest = {
  readonly type: 'AnswerInfoRequest';
  readonly data: { readonly organisationId: string; readonly at: string };
};

/** The provider fetched the packet (only the first time is recorded). */
export type RecordPacketFetched = {
  readonly type: 'RecordPacketFetched';
  readonly data: { readonly providerOrganisationId: string; readonly at: string };
};

/** A deadline's timer fired: expire and escalate if the provider has still not answered. */
export type MissDeadline = {
  readonly type: 'MissDeadline';
  readonly data: { readonly deadline: Deadline; readonly at: string };
};

/** The case was re-assessed: its deadlines may only come forward, never move back. */
export type TightenDeadlines = {
  readonly type: 'TightenDeadlines';
  readonly data: {
    readonly deadlineClass: DeadlineClass;
    readonly acknowledgeWithinSeconds: number;
    readonly decideWithinSeconds: number;
    readonly at: string;
  };
};

/** The referral's programme stopped taking referrals: its NGO is told while it is pending. */
export type NoteProgrammeStatus = {
  readonly type: 'NoteProgrammeStatus';
  readonly data: { readonly programmeId: string; readonly status: string; readonly at: string };
};

export type ReferralCommand =
  | RouteReferral
  | RecordDelivery
  | Respond
  | Revoke
  | AnswerInfoRequest
  | RecordPacketFetched
  | MissDeadline
  | TightenDeadlines
  | NoteProgrammeStatus;

/** One step of a referral with its time, for the NGO's feedback and response-time figures. */
export type ReferralStep = {
  readonly status: ReferralStatus;
  readonly reason: string;
  readonly at: string;
};

export type ReferralState =
  | { readonly status: 'NOT_ROUTED' }
  | {
      readonly status: ReferralStatus;
      readonly referral: RoutedReferral;
      /** The deadlines in force (tightened by a raised risk level). */
      readonly acknowledgeBy: string;
      readonly decideBy: string;
      /** Every status reached, in order, routing first. */
      readonly steps: readonly ReferralStep[];
      /** When the provider first fetched the packet. */
      readonly seenAt?: string;
      /** The deadline missed, once escalated. */
      readonly escalated?: Deadline;
      /** The programme statuses the NGO was told of. */
      readonly programmeNotices: readonly string[];
      /** Why and when, once revoked. */
      readonly revocation?: { readonly reason: RevocationReason; readonly at: string };
      /** When its provider was to be asked to delete its copies (the referral had ended). */
      readonly erasureRequestedAt?: string;
      /** The revocation and erasure notices the provider's endpoint accepted. */
      readonly notified: readonly Notice[];
    };

/** A revocation or erasure notice the provider is still to be told. */
export type OwedNotice = {
  readonly notice: Exclude<Notice, 'referral.routed'>;
  readonly reason: RevocationReason;
  /** When it was decided: the revocation's or the erasure request's time. */
  readonly at: string;
};

/** Each provider action, the statuses it may follow (issue 9's table) and the one it leads to. */
const TRANSITIONS: Readonly<
  Record<ReferralAction, { from: readonly ReferralStatus[]; to: ReferralStatus }>
> = {
  REFERRAL_ACTION_ACKNOWLEDGE: {
    from: ['REFERRAL_STATUS_DELIVERED'],
    to: 'REFERRAL_STATUS_ACKNOWLEDGED',
  },
  REFERRAL_ACTION_ACCEPT: {
    from: ['REFERRAL_STATUS_ACKNOWLEDGED'],
    to: 'REFERRAL_STATUS_ACCEPTED',
  },
  REFERRAL_ACTION_DECLINE: {
    from: ['REFERRAL_STATUS_ACKNOWLEDGED', 'REFERRAL_STATUS_INFO_REQUESTED'],
    to: 'REFERRAL_STATUS_DECLINED',
  },
  REFERRAL_ACTION_REQUEST_INFO: {
    from: ['REFERRAL_STATUS_ACKNOWLEDGED'],
    to: 'REFERRAL_STATUS_INFO_REQUESTED',
  },
  REFERRAL_ACTION_REPORT_PROGRESS: {
    from: ['REFERRAL_STATUS_ACCEPTED'],
    to: 'REFERRAL_STATUS_IN_PROGRESS',
  },
  REFERRAL_ACTION_COMPLETE: {
    from: ['REFERRAL_STATUS_ACCEPTED', 'REFERRAL_STATUS_IN_PROGRESS'],
    to: 'REFERRAL_STATUS_COMPLETED',
  },
  REFERRAL_ACTION_CLOSE: {
    from: ['REFERRAL_STATUS_ACCEPTED', 'REFERRAL_STATUS_IN_PROGRESS'],
    to: 'REFERRAL_STATUS_CLOSED',
  },
};

/** The actions whose reason is required: a category, never personal data. */
const REASON_REQUIRED: readonly ReferralAction[] = [
  'REFERRAL_ACTION_DECLINE',
  'REFERRAL_ACTION_CLOSE',
];

/** Where a referral ends: nothing moves it further, and a revocation leaves it as it is. */
export const FINAL: readonly ReferralStatus[] = [
  'REFERRAL_STATUS_DECLINED',
  'REFERRAL_STATUS_COMPLETED',
  'REFERRAL_STATUS_REVOKED',
  'REFERRAL_STATUS_CLOSED',
  'REFERRAL_STATUS_EXPIRED',
];

/** The statuses in which each deadline is still open, and why it expires when missed. */
export const AWAITING: Readonly<
  Record<Deadline, { readonly in: readonly ReferralStatus[]; readonly reason: ExpiryReason }>
> = {
  acknowledgement: {
    in: ['REFERRAL_STATUS_ROUTED', 'REFERRAL_STATUS_DELIVERED'],
    reason: 'acknowledgement_missed',
  },
  decision: {
    in: ['REFERRAL_STATUS_ACKNOWLEDGED', 'REFERRAL_STATUS_INFO_REQUESTED'],
    reason: 'decision_missed',
  },
};

/** Pending: no decision yet, so a programme that stops taking referrals concerns its NGO. */
const PENDING: readonly ReferralStatus[] = [
  ...AWAITING.acknowledgement.in,
  ...AWAITING.decision.in,
];

/**
 * While the referral is live for the provider: from routing (a provider may fetch as soon as the
 * webhook arrives, before its 2xx is recorded as the delivery), not once declined, completed or
 * revoked.
 */
const PACKET_READABLE: readonly ReferralStatus[] = [
  'REFERRAL_STATUS_ROUTED',
  'REFERRAL_STATUS_DELIVERED',
  'REFERRAL_STATUS_ACKNOWLEDGED',
  'REFERRAL_STATUS_INFO_REQUESTED',
  'REFERRAL_STATUS_ACCEPTED',
  'REFERRAL_STATUS_IN_PROGRESS',
];

const MAX_REASONS = 32;
const MAX_REASON_LENGTH = 200;

/**
 * Whether this provider organisation may fetch the referral's minimised packet now: only the
 * referral's own provider, and only while the referral is delivered, acknowledged or accepted.
 */
export function mayReadPacket(state: ReferralState, providerOrganisationId: string): boolean {
  return (
    state.status !== 'NOT_ROUTED' &&
    state.referral.providerOrganisationId === providerOrganisationId &&
    PACKET_READABLE.includes(state.status)
  );
}

/**
 * What the provider is still to be told beyond the routing, each once: the revocation (`case.erased`
 * when the erasure revoked it, which also asks for copies to be deleted), and the erasure of the
 * case of a referral that had already ended.
 */
export function noticesOwed(state: ReferralState): {
  readonly revocation: OwedNotice | undefined;
  readonly erasure: OwedNotice | undefined;
} {
  if (state.status === 'NOT_ROUTED') return { revocation: undefined, erasure: undefined };
  const unsent = (owed: OwedNotice | undefined): OwedNotice | undefined =>
    owed !== undefined && !state.notified.includes(owed.notice) ? owed : undefined;
  const { revocation, erasureRequestedAt } = state;
  return {
    revocation: unsent(
      revocation && {
        notice: revocation.reason === 'case_erased' ? 'case.erased' : 'referral.revoked',
        reason: revocation.reason,
        at: revocation.at,
      },
    ),
    erasure: unsent(
      erasureRequestedAt === undefined
        ? undefined
        : { notice: 'case.erased', reason: 'case_erased', at: erasureRequestedAt },
    ),
  };
}

function routeReferral(command: RouteReferral, state: ReferralState): ReferralEvent[] {
  const { data } = command;
  const deadlineClass = requireOneOf(data.deadlineClass, DEADLINE_CLASSES, 'deadlineClass');
  const routedAt = requireTimestamp(data.routedAt, 'routedAt');
  const deadlines = deadlinesOf(
    deadlineClass,
    routedAt,
    data.acknowledgeWithinSeconds,
    data.decideWithinSeconds,
  );
  const routed: ReferralRoutedData = {
    referralId: requireIdentifier(data.referralId, 'referralId'),
    caseId: requireIdentifier(data.caseId, 'caseId'),
    providerOrganisationId: requireIdentifier(
      data.providerOrganisationId,
      'providerOrganisationId',
    ),
    organisationId: requireIdentifier(data.organisationId, 'organisationId'),
    recipientType: requireOneOf(data.recipientType, RECIPIENT_TYPES, 'recipientType'),
    reasons: requireReasons(data.reasons),
    deadlineClass,
    respondBy: deadlines.acknowledgeBy,
    routedAt,
    programmeId:
      data.programmeId === undefined || data.programmeId === ''
        ? ''
        : requireIdentifier(data.programmeId, 'programmeId'),
    criteriaVersion: requireVersion(data.criteriaVersion ?? 0),
    ...deadlines,
  };
  if (state.status === 'NOT_ROUTED') return [{ type: 'ReferralRouted', data: routed }];
  // The id stands for one (case, provider): routing the pair again is the same referral.
  const existing = state.referral;
  if (
    existing.referralId === routed.referralId &&
    existing.caseId === routed.caseId &&
    existing.providerOrganisationId === routed.providerOrganisationId &&
    existing.organisationId === routed.organisationId
  ) {
    return [];
  }
  throw new IllegalStateError('this referral id is already used for another case or provider');
}

function recordDelivery(command: RecordDelivery, state: ReferralState): ReferralEvent[] {
  const notice = requireOneOf(command.data.notice, NOTICES, 'notice');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'NOT_ROUTED') throw new NotFoundError('referral not found');
  // A webhook retried after a lost answer, or redelivered later, changes nothing.
  if (notice === 'referral.routed') {
    if (state.status !== 'REFERRAL_STATUS_ROUTED') return [];
    return [statusChanged(state.referral, 'REFERRAL_STATUS_DELIVERED', '', at)];
  }
  const { revocation, erasure } = noticesOwed(state);
  if (revocation?.notice !== notice && erasure?.notice !== notice) return [];
  return [
    {
      type: 'ProviderNotified',
      data: { referralId: state.referral.referralId, notice, notifiedAt: at },
    },
  ];
}

/**
 * Revokes a referral that has not ended. An ended one keeps its outcome; only the case's erasure
 * still concerns its provider, who may have kept copies: it is asked to delete them, once.
 */
function revoke(command: Revoke, state: ReferralState): ReferralEvent[] {
  const reason = requireOneOf(command.data.reason, REVOCATION_REASONS, 'reason');
  const at = requireTimestamp(command.data.at, 'at');
  // Nothing was routed, so there is nothing to take back (a routing that never got appended).
  if (state.status === 'NOT_ROUTED') return [];
  if (!FINAL.includes(state.status)) {
    return [statusChanged(state.referral, 'REFERRAL_STATUS_REVOKED', reason, at)];
  }
  const erasureAsked =
    state.revocation?.reason === 'case_erased' || state.erasureRequestedAt !== undefined;
  if (reason !== 'case_erased' || erasureAsked) return [];
  const { referralId, caseId, providerOrganisationId, organisationId } = state.referral;
  return [
    {
      type: 'ErasureRequested',
      data: { referralId, caseId, providerOrganisationId, organisationId, requestedAt: at },
    },
  ];
}

function respond(command: Respond, state: ReferralState): ReferralEvent[] {
  const { data } = command;
  const caller = requireIdentifier(data.providerOrganisationId, 'providerOrganisationId');
  // Another organisation's referral does not exist as far as the caller can tell.
  if (state.status === 'NOT_ROUTED' || state.referral.providerOrganisationId !== caller) {
    throw new NotFoundError('referral not found');
  }
  const action = requireOneOf(data.action, REFERRAL_ACTIONS, 'action');
  const reason = requireReason(data.reason, REASON_REQUIRED.includes(action), 'reason');
  const at = requireTimestamp(data.at, 'at');
  const transition = TRANSITIONS[action];
  // A retried answer changes nothing.
  if (state.status === transition.to) return [];
  if (!transition.from.includes(state.status)) {
    throw new IllegalStateError(`a referral that is ${state.status} cannot take ${action}`);
  }
  return [statusChanged(state.referral, transition.to, reason, at)];
}

function answerInfoRequest(command: AnswerInfoRequest, state: ReferralState): ReferralEvent[] {
  const caller = requireIdentifier(command.data.organisationId, 'organisationId');
  const at = requireTimestamp(command.data.at, 'at');
  // Another NGO's referral does not exist as far as the caller can tell.
  if (state.status === 'NOT_ROUTED' || state.referral.organisationId !== caller) {
    throw new NotFoundError('referral not found');
  }
  // Answered already, and acknowledged again: a retry changes nothing.
  if (
    state.status === 'REFERRAL_STATUS_ACKNOWLEDGED' &&
    lastStep(state)?.reason === 'info_provided'
  ) {
    return [];
  }
  if (state.status !== 'REFERRAL_STATUS_INFO_REQUESTED') {
    throw new IllegalStateError(
      `a referral that is ${state.status} has no open request for information`,
    );
  }
  return [statusChanged(state.referral, 'REFERRAL_STATUS_ACKNOWLEDGED', 'info_provided', at)];
}

function recordPacketFetched(command: RecordPacketFetched, state: ReferralState): ReferralEvent[] {
  const caller = requireIdentifier(command.data.providerOrganisationId, 'providerOrganisationId');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'NOT_ROUTED' || state.referral.providerOrganisationId !== caller) {
    throw new NotFoundError('referral not found');
  }
  if (state.seenAt !== undefined) return [];
  return [{ type: 'ReferralSeen', data: { ...idsOf(state.referral), seenAt: at } }];
}

/**
 * A deadline's timer fired. Expires the referral, and escalates, only if the deadline in force
 * has passed and the provider still owes that answer: a timer of a deadline since tightened,
 * or fired again, finds the referral answered or expired already and decides nothing.
 */
function missDeadline(command: MissDeadline, state: ReferralState): ReferralEvent[] {
  const deadline = requireOneOf(command.data.deadline, DEADLINES, 'deadline');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'NOT_ROUTED') return [];
  const awaiting = AWAITING[deadline];
  const due = deadline === 'acknowledgement' ? state.acknowledgeBy : state.decideBy;
  if (!awaiting.in.includes(state.status) || Date.parse(due) > Date.parse(at)) return [];
  return [
    statusChanged(state.referral, 'REFERRAL_STATUS_EXPIRED', awaiting.reason, at),
    {
      type: 'ReferralEscalated',
      data: { ...idsOf(state.referral), missed: deadline, deadline: due, escalatedAt: at },
    },
  ];
}

function tightenDeadlines(command: TightenDeadlines, state: ReferralState): ReferralEvent[] {
  const { data } = command;
  const deadlineClass = requireOneOf(data.deadlineClass, DEADLINE_CLASSES, 'deadlineClass');
  const at = requireTimestamp(data.at, 'at');
  if (state.status === 'NOT_ROUTED' || FINAL.includes(state.status)) return [];
  const proposed = deadlinesOf(
    deadlineClass,
    state.referral.routedAt,
    data.acknowledgeWithinSeconds,
    data.decideWithinSeconds,
  );
  const next = tightened(state, proposed);
  if (next === undefined) return [];
  return [
    {
      type: 'ReferralDeadlinesChanged',
      data: { ...idsOf(state.referral), deadlineClass, ...next, changedAt: at },
    },
  ];
}

function noteProgrammeStatus(command: NoteProgrammeStatus, state: ReferralState): ReferralEvent[] {
  const programmeId = requireIdentifier(command.data.programmeId, 'programmeId');
  const status = requireReason(command.data.status, true, 'status');
  const at = requireTimestamp(command.data.at, 'at');
  if (state.status === 'NOT_ROUTED' || state.referral.programmeId !== programmeId) return [];
  if (!PENDING.includes(state.status) || state.programmeNotices.includes(status)) return [];
  return [
    {
      type: 'ReferralProgrammeChanged',
      data: { ...idsOf(state.referral), programmeId, programmeStatus: status, changedAt: at },
    },
  ];
}

function idsOf(referral: ReferralRoutedData): ReferralIds {
  const { referralId, caseId, providerOrganisationId, organisationId } = referral;
  return { referralId, caseId, providerOrganisationId, organisationId };
}

function lastStep(
  state: Exclude<ReferralState, { status: 'NOT_ROUTED' }>,
): ReferralStep | undefined {
  return state.steps.at(-1);
}

function requireVersion(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ValidationError('criteriaVersion must be a whole number, 0 when there is none');
  }
  return value;
}

function statusChanged(
  referral: ReferralRoutedData,
  status: ReferralStatus,
  reason: string,
  changedAt: string,
): ReferralStatusChanged {
  return {
    type: 'ReferralStatusChanged',
    data: {
      referralId: referral.referralId,
      caseId: referral.caseId,
      providerOrganisationId: referral.providerOrganisationId,
      organisationId: referral.organisationId,
      status,
      reason,
      changedAt,
    },
  };
}

function requireReasons(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_REASONS) {
    throw new ValidationError(`reasons must list 1 to ${MAX_REASONS} reasons`);
  }
  const reasons: readonly unknown[] = value;
  return reasons.map((reason) => requireReason(reason, true, 'reasons'));
}

function requireReason(value: unknown, required: boolean, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH || hasControlCharacter(value)) {
    throw new ValidationError(
      `${field} must be one line of at most ${MAX_REASON_LENGTH} characters`,
    );
  }
  const reason = value.trim();
  if (required && reason === '') throw new ValidationError(`${field} must not be empty`);
  return reason;
}

function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export const referralDecider: Decider<ReferralState, ReferralCommand, ReferralEvent> = {
  initialState: () => ({ status: 'NOT_ROUTED' }),
  decide: (command, state) => {
    switch (command.type) {
      case 'RouteReferral':
        return routeReferral(command, state);
      case 'RecordDelivery':
        return recordDelivery(command, state);
      case 'Respond':
        return respond(command, state);
      case 'Revoke':
        return revoke(command, state);
      case 'AnswerInfoRequest':
        return answerInfoRequest(command, state);
      case 'RecordPacketFetched':
        return recordPacketFetched(command, state);
      case 'MissDeadline':
        return missDeadline(command, state);
      case 'TightenDeadlines':
        return tightenDeadlines(command, state);
      case 'NoteProgrammeStatus':
        return noteProgrammeStatus(command, state);
    }
  },
  evolve: (state, event) => {
    if (event.type === 'ReferralRouted') {
      const referral = routedAsNow(event.data);
      return {
        status: 'REFERRAL_STATUS_ROUTED',
        referral,
        acknowledgeBy: referral.acknowledgeBy,
        decideBy: referral.decideBy,
        steps: [{ status: 'REFERRAL_STATUS_ROUTED', reason: '', at: referral.routedAt }],
        programmeNotices: [],
        notified: [],
      };
    }
    if (state.status === 'NOT_ROUTED') return state;
    switch (event.type) {
      case 'ReferralStatusChanged': {
        const { status, reason, changedAt } = event.data;
        const steps = [...state.steps, { status, reason, at: changedAt }];
        return status === 'REFERRAL_STATUS_REVOKED'
          ? {
              ...state,
              status,
              steps,
              revocation: { reason: reason as RevocationReason, at: changedAt },
            }
          : { ...state, status, steps };
      }
      case 'ErasureRequested':
        return { ...state, erasureRequestedAt: event.data.requestedAt };
      case 'ProviderNotified':
        return { ...state, notified: [...state.notified, event.data.notice] };
      case 'ReferralSeen':
        return { ...state, seenAt: event.data.seenAt };
      case 'ReferralDeadlinesChanged':
        return {
          ...state,
          acknowledgeBy: event.data.acknowledgeBy,
          decideBy: event.data.decideBy,
        };
      case 'ReferralEscalated':
        return { ...state, escalated: event.data.missed };
      case 'ReferralProgrammeChanged':
        return {
          ...state,
          programmeNotices: [...state.programmeNotices, event.data.programmeStatus],
        };
    }
  },
};

/**
 * A ReferralRouted as it is now: events stored before issue 9 have no programme and only
 * `respondBy`, which was the acknowledgement deadline; their decision deadline is taken as twice
 * as far from the routing.
 */
function routedAsNow(data: ReferralRoutedData): RoutedReferral {
  const acknowledgeBy = data.acknowledgeBy ?? data.respondBy;
  const decideBy =
    data.decideBy ??
    new Date(2 * Date.parse(acknowledgeBy) - Date.parse(data.routedAt)).toISOString();
  return {
    ...data,
    programmeId: data.programmeId ?? '',
    criteriaVersion: data.criteriaVersion ?? 0,
    acknowledgeBy,
    decideBy,
  };
}

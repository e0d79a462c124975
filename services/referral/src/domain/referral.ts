import { IllegalStateError, NotFoundError, ValidationError } from '@aman/errors';
import type { Decider, DomainEvent } from '@aman/eventstore';

import { respondBy } from './routing.ts';
import { requireIdentifier, requireOneOf, requireTimestamp } from './validation.ts';
import {
  DEADLINE_CLASSES,
  NOTICES,
  RECIPIENT_TYPES,
  REFERRAL_ACTIONS,
  REVOCATION_REASONS,
} from './vocabulary.ts';
import type {
  DeadlineClass,
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
  readonly respondBy: string;
  readonly routedAt: string;
};
export type ReferralRouted = DomainEvent<'ReferralRouted', ReferralRoutedData>;

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

export type ReferralEvent =
  ReferralRouted | ReferralStatusChanged | ErasureRequested | ProviderNotified;

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

export type ReferralCommand = RouteReferral | RecordDelivery | Respond | Revoke;

export type ReferralState =
  | { readonly status: 'NOT_ROUTED' }
  | {
      readonly status: ReferralStatus;
      readonly referral: ReferralRoutedData;
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

/** Each action, the one status it may follow and the status it leads to. */
const TRANSITIONS: Readonly<Record<ReferralAction, { from: ReferralStatus; to: ReferralStatus }>> =
  {
    REFERRAL_ACTION_ACKNOWLEDGE: {
      from: 'REFERRAL_STATUS_DELIVERED',
      to: 'REFERRAL_STATUS_ACKNOWLEDGED',
    },
    REFERRAL_ACTION_ACCEPT: {
      from: 'REFERRAL_STATUS_ACKNOWLEDGED',
      to: 'REFERRAL_STATUS_ACCEPTED',
    },
    REFERRAL_ACTION_DECLINE: {
      from: 'REFERRAL_STATUS_ACKNOWLEDGED',
      to: 'REFERRAL_STATUS_DECLINED',
    },
    REFERRAL_ACTION_COMPLETE: { from: 'REFERRAL_STATUS_ACCEPTED', to: 'REFERRAL_STATUS_COMPLETED' },
  };

/**
 * Where a referral ends: nothing moves it further, and a revocation leaves it as it is. Issue 9's
 * further steps (info_requested, in_progress) are not final, so they stay revocable.
 */
const FINAL: readonly ReferralStatus[] = [
  'REFERRAL_STATUS_DECLINED',
  'REFERRAL_STATUS_COMPLETED',
  'REFERRAL_STATUS_REVOKED',
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
  'REFERRAL_STATUS_ACCEPTED',
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
    respondBy: respondBy(deadlineClass, routedAt),
    routedAt,
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
  const reason = requireReason(data.reason, action === 'REFERRAL_ACTION_DECLINE', 'reason');
  const at = requireTimestamp(data.at, 'at');
  const transition = TRANSITIONS[action];
  if (state.status === transition.to) return [];
  if (state.status !== transition.from) {
    throw new IllegalStateError(`a referral that is ${state.status} cannot take ${action}`);
  }
  return [statusChanged(state.referral, transition.to, reason, at)];
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
    }
  },
  evolve: (state, event) => {
    if (event.type === 'ReferralRouted') {
      return { status: 'REFERRAL_STATUS_ROUTED', referral: event.data, notified: [] };
    }
    if (state.status === 'NOT_ROUTED') return state;
    switch (event.type) {
      case 'ReferralStatusChanged': {
        const { status, reason, changedAt } = event.data;
        return status === 'REFERRAL_STATUS_REVOKED'
          ? { ...state, status, revocation: { reason: reason as RevocationReason, at: changedAt } }
          : { ...state, status };
      }
      case 'ErasureRequested':
        return { ...state, erasureRequestedAt: event.data.requestedAt };
      case 'ProviderNotified':
        return { ...state, notified: [...state.notified, event.data.notice] };
    }
  },
};

import { IllegalStateError, NotFoundError } from '@aman/errors';
import type { Decider, DomainEvent, JsonObject } from '@aman/eventstore';

/**
 * What one provider is told about one case, in order: a queue of webhook notifications that
 * sends only its head. A head that used up its attempts is dead-lettered and holds back the rest
 * of this provider's notifications about this case (a revocation must never arrive before the
 * routing it revokes) until an operator redelivers or discards it; other cases keep flowing.
 * Private to the referral context: these events never leave it.
 */
export type NotificationQueuedData = {
  /** The webhook id: the same for every attempt, the provider's idempotency key. */
  readonly notificationId: string;
  readonly providerOrganisationId: string;
  readonly caseId: string;
  readonly referralId: string;
  /** The Standard Webhooks `type`: `referral.routed`, `referral.revoked`, `case.erased`, ... */
  readonly notice: string;
  /** The thin body: ids, types and times only, never personal data. */
  readonly payload: JsonObject;
  /** The event this notification tells of. */
  readonly causationId: string;
  readonly queuedAt: string;
};
export type NotificationQueued = DomainEvent<'NotificationQueued', NotificationQueuedData>;

export type DeliveryAttemptFailedData = {
  readonly notificationId: string;
  readonly round: number;
  readonly attempt: number;
  /** `status 503`, `ECONNREFUSED`, `timeout`, `refused: ...`: never the URL or an answer's body. */
  readonly reason: string;
  readonly failedAt: string;
  readonly nextAttemptAt: string;
};
export type DeliveryAttemptFailed = DomainEvent<'DeliveryAttemptFailed', DeliveryAttemptFailedData>;

export type NotificationDeliveredData = {
  readonly notificationId: string;
  readonly round: number;
  readonly attempt: number;
  readonly status: number;
  readonly deliveredAt: string;
};
export type NotificationDelivered = DomainEvent<'NotificationDelivered', NotificationDeliveredData>;

/** Not sent, and not to be: the referral moved on (delivered through the pull feed, ended). */
export type NotificationSkippedData = {
  readonly notificationId: string;
  readonly reason: string;
  readonly skippedAt: string;
};
export type NotificationSkipped = DomainEvent<'NotificationSkipped', NotificationSkippedData>;

export type NotificationDeadLetteredData = {
  readonly notificationId: string;
  readonly round: number;
  readonly attempts: number;
  readonly reason: string;
  readonly deadAt: string;
};
export type NotificationDeadLettered = DomainEvent<
  'NotificationDeadLettered',
  NotificationDeadLetteredData
>;

export type RedeliveryRequestedData = {
  readonly notificationId: string;
  /** The new round of attempts (the first round is 1). */
  readonly round: number;
  readonly requestedBy: string;
  readonly requestedAt: string;
};
export type RedeliveryRequested = DomainEvent<'RedeliveryRequested', RedeliveryRequestedData>;

export type NotificationDiscardedData = {
  readonly notificationId: string;
  readonly discardedBy: string;
  readonly discardedAt: string;
};
export type NotificationDiscarded = DomainEvent<'NotificationDiscarded', NotificationDiscardedData>;

export type NotificationEvent =
  | NotificationQueued
  | DeliveryAttemptFailed
  | NotificationDelivered
  | NotificationSkipped
  | NotificationDeadLettered
  | RedeliveryRequested
  | NotificationDiscarded;

export type Enqueue = { readonly type: 'Enqueue'; readonly data: NotificationQueuedData };

/** The outcome of the head's attempt `round`/`attempt`; a stale or repeated one decides nothing. */
export type RecordAttempt = {
  readonly type: 'RecordAttempt';
  readonly data: {
    readonly notificationId: string;
    readonly round: number;
    readonly attempt: number;
    readonly at: string;
    readonly outcome:
      | { readonly delivered: true; readonly status: number }
      | { readonly delivered: false; readonly reason: string }
      | { readonly skipped: string };
    readonly policy: RetryPolicy;
    /** In [0, 1): the jitter of the next wait. */
    readonly random: number;
  };
};

export type Redeliver = {
  readonly type: 'Redeliver';
  readonly data: { readonly notificationId: string; readonly by: string; readonly at: string };
};

export type Discard = {
  readonly type: 'Discard';
  readonly data: { readonly notificationId: string; readonly by: string; readonly at: string };
};

export type QueueCommand = Enqueue | RecordAttempt | Redeliver | Discard;

export type NotificationStatus = 'pending' | 'delivered' | 'skipped' | 'dead' | 'discarded';

export type QueuedNotification = {
  readonly notification: NotificationQueuedData;
  readonly status: NotificationStatus;
  readonly round: number;
  /** The next attempt's number in this round (1 first). */
  readonly attempt: number;
  readonly nextAttemptAt: string;
  /** The last failure's reason, for an operator. */
  readonly reason?: string;
};

export type QueueState = { readonly notifications: readonly QueuedNotification[] };

export interface RetryPolicy {
  /** Attempts per round before the notification is dead-lettered. */
  readonly attempts: number;
  /** The wait after the first failed attempt, doubled after each further one. */
  readonly firstDelayMs: number;
  /** The longest wait between two attempts. */
  readonly maxDelayMs: number;
}

/** Twelve attempts over about six hours (10 s doubling to 1 h), then the dead letters. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 12,
  firstDelayMs: 10_000,
  maxDelayMs: 3_600_000,
};

/**
 * The wait after failed attempt `attempt` (1 first): exponential, capped, with "equal jitter":
 * uniformly in [d/2, d] for d = min(max, first * 2^(attempt-1)), so providers that failed
 * together do not all retry at once, and no wait is shorter than half its step.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number): number {
  const step = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempt - 1));
  const unit = Math.min(Math.max(random, 0), 1);
  return Math.floor(step / 2 + (step / 2) * unit);
}

/** The notification being sent or holding the queue back: the first pending or dead one. */
export function headOf(state: QueueState): QueuedNotification | undefined {
  return state.notifications.find(
    (queued) => queued.status === 'pending' || queued.status === 'dead',
  );
}

function find(state: QueueState, notificationId: string): QueuedNotification {
  const queued = state.notifications.find(
    (entry) => entry.notification.notificationId === notificationId,
  );
  if (queued === undefined) throw new NotFoundError('notification not found');
  return queued;
}

function decide(command: QueueCommand, state: QueueState): NotificationEvent[] {
  switch (command.type) {
    case 'Enqueue': {
      const known = state.notifications.some(
        (queued) => queued.notification.notificationId === command.data.notificationId,
      );
      return known ? [] : [{ type: 'NotificationQueued', data: command.data }];
    }
    case 'RecordAttempt': {
      const { notificationId, round, attempt, at, outcome, policy, random } = command.data;
      const head = headOf(state);
      // Only the head's current attempt counts: a timer fired twice, or late, changes nothing.
      if (
        head?.notification.notificationId !== notificationId ||
        head.status !== 'pending' ||
        head.round !== round ||
        head.attempt !== attempt
      ) {
        return [];
      }
      if ('skipped' in outcome) {
        return [
          {
            type: 'NotificationSkipped',
            data: { notificationId, reason: outcome.skipped, skippedAt: at },
          },
        ];
      }
      if (outcome.delivered) {
        return [
          {
            type: 'NotificationDelivered',
            data: { notificationId, round, attempt, status: outcome.status, deliveredAt: at },
          },
        ];
      }
      if (attempt >= policy.attempts) {
        return [
          {
            type: 'NotificationDeadLettered',
            data: { notificationId, round, attempts: attempt, reason: outcome.reason, deadAt: at },
          },
        ];
      }
      const next = new Date(Date.parse(at) + retryDelayMs(attempt, policy, random));
      return [
        {
          type: 'DeliveryAttemptFailed',
          data: {
            notificationId,
            round,
            attempt,
            reason: outcome.reason,
            failedAt: at,
            nextAttemptAt: next.toISOString(),
          },
        },
      ];
    }
    case 'Redeliver': {
      const queued = find(state, command.data.notificationId);
      // Asked twice (a retried request): the first one is running.
      if (queued.status === 'pending') return [];
      if (queued.status !== 'dead') {
        throw new IllegalStateError(`a ${queued.status} notification cannot be redelivered`);
      }
      return [
        {
          type: 'RedeliveryRequested',
          data: {
            notificationId: command.data.notificationId,
            round: queued.round + 1,
            requestedBy: command.data.by,
            requestedAt: command.data.at,
          },
        },
      ];
    }
    case 'Discard': {
      const queued = find(state, command.data.notificationId);
      if (queued.status === 'discarded') return [];
      if (queued.status !== 'dead') {
        throw new IllegalStateError('only a dead-lettered notification can be discarded');
      }
      return [
        {
          type: 'NotificationDiscarded',
          data: {
            notificationId: command.data.notificationId,
            discardedBy: command.data.by,
            discardedAt: command.data.at,
          },
        },
      ];
    }
  }
}

function evolve(state: QueueState, event: NotificationEvent): QueueState {
  if (event.type === 'NotificationQueued') {
    const queued: QueuedNotification = {
      notification: event.data,
      status: 'pending',
      round: 1,
      attempt: 1,
      nextAttemptAt: event.data.queuedAt,
    };
    return { notifications: [...state.notifications, queued] };
  }
  const change = (queued: QueuedNotification): QueuedNotification => {
    switch (event.type) {
      case 'DeliveryAttemptFailed':
        return {
          ...queued,
          attempt: event.data.attempt + 1,
          nextAttemptAt: event.data.nextAttemptAt,
          reason: event.data.reason,
        };
      case 'NotificationDelivered':
        return { ...queued, status: 'delivered' };
      case 'NotificationSkipped':
        return { ...queued, status: 'skipped' };
      case 'NotificationDeadLettered':
        return { ...queued, status: 'dead', reason: event.data.reason };
      case 'RedeliveryRequested':
        return {
          ...queued,
          status: 'pending',
          round: event.data.round,
          attempt: 1,
          nextAttemptAt: event.data.requestedAt,
        };
      case 'NotificationDiscarded':
        return { ...queued, status: 'discarded' };
    }
  };
  return {
    notifications: state.notifications.map((queued) =>
      queued.notification.notificationId === event.data.notificationId ? change(queued) : queued,
    ),
  };
}

export const notificationQueueDecider: Decider<QueueState, QueueCommand, NotificationEvent> = {
  initialState: () => ({ notifications: [] }),
  decide,
  evolve,
};

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { DeciderSpecification } from '@aman/testing';

import {
  headOf,
  notificationQueueDecider,
  retryDelayMs,
  type NotificationEvent,
  type NotificationQueuedData,
  type RecordAttempt,
  type RetryPolicy,
} from './queue.ts';

const spec = DeciderSpecification.for(notificationQueueDecider);
const policy: RetryPolicy = { attempts: 3, firstDelayMs: 1_000, maxDelayMs: 60_000 };
const at = '2026-12-01T10:00:00.000Z';

const queued = (notificationId: string): NotificationQueuedData => ({
  notificationId,
  providerOrganisationId: 'org-embassy',
  caseId: 'case-1',
  referralId: 'referral-1',
  notice: 'referral.routed',
  payload: { type: 'referral.routed', data: { referralId: 'referral-1' } },
  causationId: `event-${notificationId}`,
  queuedAt: at,
});
const enqueued = (id: string): NotificationEvent => ({
  type: 'NotificationQueued',
  data: queued(id),
});
const attempt = (
  notificationId: string,
  number: number,
  outcome: RecordAttempt['data']['outcome'],
  round = 1,
): RecordAttempt => ({
  type: 'RecordAttempt',
  data: { notificationId, round, attempt: number, at, outcome, policy, random: 0.5 },
});
const failed = (id: string, number: number, round = 1): NotificationEvent => ({
  type: 'DeliveryAttemptFailed',
  data: {
    notificationId: id,
    round,
    attempt: number,
    reason: 'status 503',
    failedAt: at,
    nextAttemptAt: '2026-12-01T10:00:05.000Z',
  },
});
const dead = (id: string): NotificationEvent => ({
  type: 'NotificationDeadLettered',
  data: { notificationId: id, round: 1, attempts: 3, reason: 'status 503', deadAt: at },
});
const fold = (events: NotificationEvent[]) =>
  events.reduce(notificationQueueDecider.evolve, notificationQueueDecider.initialState());

describe('retryDelayMs', () => {
  it('waits within [d/2, d] for d the capped doubling step, whatever the jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (number, first, max, random) => {
          const rules = { attempts: 50, firstDelayMs: first, maxDelayMs: max };
          const step = Math.min(max, first * 2 ** (number - 1));
          const delay = retryDelayMs(number, rules, random);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(delay).toBeLessThanOrEqual(step);
          expect(delay).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it('never waits less after a later failure at the same jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (number, random) => {
          expect(retryDelayMs(number + 1, policy, random)).toBeGreaterThanOrEqual(
            retryDelayMs(number, policy, random),
          );
        },
      ),
    );
  });

  it('spreads the waits of providers that failed together', () => {
    expect(retryDelayMs(3, policy, 0)).toBe(2_000);
    expect(retryDelayMs(3, policy, 0.999)).toBe(3_998);
    expect(retryDelayMs(30, policy, 0.5)).toBe(45_000);
  });
});

describe('the notification queue', () => {
  it('queues a notification once', () => {
    spec
      .given([])
      .when({ type: 'Enqueue', data: queued('n1') })
      .then([enqueued('n1')]);
    spec
      .given([enqueued('n1')])
      .when({ type: 'Enqueue', data: queued('n1') })
      .thenNothingHappened();
  });

  it('records a 2xx as delivered, and a repeated firing decides nothing', () => {
    spec
      .given([enqueued('n1')])
      .when(attempt('n1', 1, { delivered: true, status: 204 }))
      .then([
        {
          type: 'NotificationDelivered',
          data: { notificationId: 'n1', round: 1, attempt: 1, status: 204, deliveredAt: at },
        },
      ]);
    spec
      .given([
        enqueued('n1'),
        {
          type: 'NotificationDelivered',
          data: { notificationId: 'n1', round: 1, attempt: 1, status: 204, deliveredAt: at },
        },
      ])
      .when(attempt('n1', 1, { delivered: true, status: 204 }))
      .thenNothingHappened();
  });

  it('schedules the next attempt after a failure, backed off with jitter', () => {
    spec
      .given([enqueued('n1')])
      .when(attempt('n1', 1, { delivered: false, reason: 'status 503' }))
      .then([
        {
          type: 'DeliveryAttemptFailed',
          data: {
            notificationId: 'n1',
            round: 1,
            attempt: 1,
            reason: 'status 503',
            failedAt: at,
            // 1 s step, jitter 0.5: 750 ms.
            nextAttemptAt: '2026-12-01T10:00:00.750Z',
          },
        },
      ]);
  });

  it('dead-letters after the policy’s attempts', () => {
    spec
      .given([enqueued('n1'), failed('n1', 1), failed('n1', 2)])
      .when(attempt('n1', 3, { delivered: false, reason: 'status 503' }))
      .then([dead('n1')]);
  });

  it('sends only the head: a later notification waits, and a stale attempt decides nothing', () => {
    spec
      .given([enqueued('n1'), enqueued('n2')])
      .when(attempt('n2', 1, { delivered: true, status: 200 }))
      .thenNothingHappened();
    spec
      .given([enqueued('n1'), failed('n1', 1)])
      .when(attempt('n1', 1, { delivered: false, reason: 'status 503' }))
      .thenNothingHappened();
  });

  it('holds the queue behind a dead letter until it is redelivered or discarded', () => {
    const history = [enqueued('n1'), enqueued('n2'), failed('n1', 1), failed('n1', 2), dead('n1')];
    expect(headOf(fold(history))?.notification.notificationId).toBe('n1');
    expect(headOf(fold(history))?.status).toBe('dead');
    spec
      .given(history)
      .when(attempt('n2', 1, { delivered: true, status: 200 }))
      .thenNothingHappened();

    const redelivered: NotificationEvent = {
      type: 'RedeliveryRequested',
      data: { notificationId: 'n1', round: 2, requestedBy: 'ops', requestedAt: at },
    };
    spec
      .given(history)
      .when({ type: 'Redeliver', data: { notificationId: 'n1', by: 'ops', at } })
      .then([redelivered]);
    // A new round of attempts, from the first.
    const after = fold([...history, redelivered]);
    expect(headOf(after)).toMatchObject({ status: 'pending', round: 2, attempt: 1 });
    spec
      .given([...history, redelivered])
      .when({ type: 'Redeliver', data: { notificationId: 'n1', by: 'ops', at } })
      .thenNothingHappened();

    const discarded: NotificationEvent = {
      type: 'NotificationDiscarded',
      data: { notificationId: 'n1', discardedBy: 'ops', discardedAt: at },
    };
    spec
      .given(history)
      .when({ type: 'Discard', data: { notificationId: 'n1', by: 'ops', at } })
      .then([discarded]);
    expect(headOf(fold([...history, discarded]))?.notification.notificationId).toBe('n2');
  });

  it('refuses to redeliver or discard what is not dead, and what it does not know', () => {
    spec
      .given([enqueued('n1')])
      .when({ type: 'Discard', data: { notificationId: 'n1', by: 'ops', at } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec
      .given([
        enqueued('n1'),
        {
          type: 'NotificationSkipped',
          data: { notificationId: 'n1', reason: 'no_endpoint', skippedAt: at },
        },
      ])
      .when({ type: 'Redeliver', data: { notificationId: 'n1', by: 'ops', at } })
      .thenThrows('AMAN_ERR_ILLEGAL_STATE');
    spec
      .given([])
      .when({ type: 'Redeliver', data: { notificationId: 'n9', by: 'ops', at } })
      .thenThrows('AMAN_ERR_NOT_FOUND');
  });
});

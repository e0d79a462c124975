import { idFrom, runTimers, type Logger } from '@aman/service-kit';
import type { Timer, TimerRunner, TimerStore } from '@aman/timers';

import { AWAITING, FINAL, type Deadline, type ReferralState } from '../domain/index.ts';
import type { Referrals } from './referrals.ts';

/** The timer kind of a referral's deadline. */
export const REFERRAL_DEADLINE = 'referral.deadline-due';

/**
 * The timers a referral's deadlines need now: one per deadline still open, its id derived from the
 * referral, the deadline and its time, so that scheduling again is a no-op and a tightened
 * deadline gets a timer of its own. The timer of the deadline it replaced still fires, later,
 * and finds the referral expired or answered: the decider decides nothing then.
 */
export function deadlineTimers(state: ReferralState): Timer[] {
  if (state.status === 'NOT_ROUTED' || FINAL.includes(state.status)) return [];
  const due: [Deadline, string][] = [
    ['acknowledgement', state.acknowledgeBy],
    ['decision', state.decideBy],
  ];
  const { referralId } = state.referral;
  return due
    .filter(
      ([deadline]) => deadline === 'decision' || AWAITING.acknowledgement.in.includes(state.status),
    )
    .map(([deadline, dueAt]) => ({
      id: `deadline:${idFrom('referral-deadline', referralId, deadline, dueAt)}`,
      kind: REFERRAL_DEADLINE,
      dueAt,
      // Ids only: timer payloads are stored in the clear.
      payload: { referralId, deadline },
    }));
}

/**
 * Fires due deadlines: a TimerRunner over the deadlines' own timer store (a runner completes every
 * timer it claims, so webhook attempts keep a store of their own). Started; stop it on shutdown.
 */
export function runDeadlines(deps: {
  readonly timers: TimerStore;
  readonly referrals: Referrals;
  readonly logger: Logger;
  /** Timer polling, for tests (default 1 s). */
  readonly pollMs?: number;
}): TimerRunner {
  return runTimers({
    store: deps.timers,
    handle: (firing) => deps.referrals.fireDeadline(firing),
    logger: deps.logger,
    what: 'referral deadline',
    ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }),
  });
}

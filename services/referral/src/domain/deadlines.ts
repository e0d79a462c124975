import { ValidationError } from '@aman/errors';

import { requireOneOf, requireTimestamp } from './validation.ts';
import { DEADLINE_CLASSES } from './vocabulary.ts';
import type { DeadlineClass } from './vocabulary.ts';

const HOUR_MS = 60 * 60 * 1000;

/**
 * The longest a provider may take to acknowledge, by the case's deadline class (DESIGN §4:
 * inter-agency referral standard, tighter for critical risk). Risk assessment's
 * `acknowledgeWithinSeconds` may only shorten it.
 */
export const RESPONSE_TIME_MS: Readonly<Record<DeadlineClass, number>> = {
  DEADLINE_CLASS_CRITICAL: 4 * HOUR_MS,
  DEADLINE_CLASS_EMERGENCY: 24 * HOUR_MS,
  DEADLINE_CLASS_URGENT: 72 * HOUR_MS,
  DEADLINE_CLASS_NORMAL: 14 * 24 * HOUR_MS,
};

/** The decision deadline when the assessment named none (events before issue 9): twice the acknowledgement's. */
export const DEFAULT_DECISION_MULTIPLE = 2;

/** Longer than any class allows, so a wrong unit is refused rather than trusted. */
const MAX_SECONDS = 366 * 24 * 60 * 60;

export type Deadlines = { readonly acknowledgeBy: string; readonly decideBy: string };

/**
 * A referral's deadlines, counted from its routing: the acknowledgement within the assessment's
 * `acknowledgeWithinSeconds`, never later than the deadline class allows; the decision within
 * `decideWithinSeconds`, never before the acknowledgement. 0 means the assessment named none.
 */
export function deadlinesOf(
  deadlineClass: DeadlineClass,
  routedAt: string,
  acknowledgeWithinSeconds: number,
  decideWithinSeconds: number,
): Deadlines {
  const deadline = requireOneOf(deadlineClass, DEADLINE_CLASSES, 'deadlineClass');
  const from = Date.parse(requireTimestamp(routedAt, 'routedAt'));
  const classMs = RESPONSE_TIME_MS[deadline];
  const acknowledgeMs = Math.min(
    classMs,
    secondsOrZero(acknowledgeWithinSeconds, 'acknowledgeWithinSeconds') * 1000 || classMs,
  );
  const decideMs = Math.max(
    acknowledgeMs,
    secondsOrZero(decideWithinSeconds, 'decideWithinSeconds') * 1000 ||
      DEFAULT_DECISION_MULTIPLE * acknowledgeMs,
  );
  return {
    acknowledgeBy: new Date(from + acknowledgeMs).toISOString(),
    decideBy: new Date(from + decideMs).toISOString(),
  };
}

/** When a referral routed at `routedAt` must be acknowledged at the latest (the class alone). */
export function respondBy(deadlineClass: DeadlineClass, routedAt: string): string {
  return deadlinesOf(deadlineClass, routedAt, 0, 0).acknowledgeBy;
}

/**
 * The deadlines once `proposed` applies: each the earlier of the two, since a raised level
 * tightens and a lowered one never loosens what the provider was told. Undefined when nothing
 * comes forward.
 */
export function tightened(current: Deadlines, proposed: Deadlines): Deadlines | undefined {
  const acknowledgeBy = earlier(current.acknowledgeBy, proposed.acknowledgeBy);
  const decideBy = earlier(current.decideBy, proposed.decideBy);
  if (acknowledgeBy === current.acknowledgeBy && decideBy === current.decideBy) return undefined;
  return { acknowledgeBy, decideBy };
}

function earlier(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function secondsOrZero(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SECONDS) {
    throw new ValidationError(`${field} must be a whole number of seconds, 0 for none`);
  }
  return value;
}

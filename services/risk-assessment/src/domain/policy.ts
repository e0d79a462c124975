import { ValidationError } from '@aman/errors';

import type { DeadlineClass, RiskLevel } from './vocabulary.ts';

/*
 * What a level sets in motion: how fast providers must act (the inter-agency referral standard:
 * emergency ≤ 24 h, urgent ≤ 72 h, normal ≤ 2 weeks; tighter for critical risk) and when the case
 * is assessed again (risk "changes with time … must be assessed periodically", FLD). The class of
 * each level is the rule; the durations are configuration, within the class's bound.
 */

const HOUR = 3600;
const DAY = 24 * HOUR;

export const DEADLINE_CLASS_OF: Readonly<Record<RiskLevel, DeadlineClass>> = {
  RISK_LEVEL_CRITICAL: 'DEADLINE_CLASS_CRITICAL',
  RISK_LEVEL_HIGH: 'DEADLINE_CLASS_EMERGENCY',
  RISK_LEVEL_MEDIUM: 'DEADLINE_CLASS_URGENT',
  RISK_LEVEL_LOW: 'DEADLINE_CLASS_NORMAL',
};

/** The most time each class may give a provider to acknowledge, in seconds. */
export const DEADLINE_CLASS_BOUNDS: Readonly<Record<DeadlineClass, number>> = {
  DEADLINE_CLASS_CRITICAL: 4 * HOUR,
  DEADLINE_CLASS_EMERGENCY: 24 * HOUR,
  DEADLINE_CLASS_URGENT: 72 * HOUR,
  DEADLINE_CLASS_NORMAL: 14 * DAY,
};

export type AssessmentPolicy = {
  /** Seconds a provider has to acknowledge a referral, per class; at most the class's bound. */
  readonly acknowledgeWithin: Readonly<Record<DeadlineClass, number>>;
  /** The decision (accept or decline) is due this many acknowledgement periods after referral. */
  readonly decisionFactor: number;
  /** Seconds until the next scheduled re-assessment, per level. */
  readonly reassessAfter: Readonly<Record<RiskLevel, number>>;
};

export const DEFAULT_POLICY: AssessmentPolicy = {
  acknowledgeWithin: DEADLINE_CLASS_BOUNDS,
  decisionFactor: 3,
  reassessAfter: {
    RISK_LEVEL_CRITICAL: 7 * DAY,
    RISK_LEVEL_HIGH: 14 * DAY,
    RISK_LEVEL_MEDIUM: 30 * DAY,
    RISK_LEVEL_LOW: 90 * DAY,
  },
};

/** Refuses a policy that would loosen a class or schedule nothing; names the setting. */
export function checkPolicy(policy: AssessmentPolicy): AssessmentPolicy {
  for (const [deadlineClass, seconds] of Object.entries(policy.acknowledgeWithin)) {
    const bound = DEADLINE_CLASS_BOUNDS[deadlineClass as DeadlineClass];
    if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > bound) {
      throw new ValidationError(
        `acknowledgement time of ${deadlineClass} must be from 1 to ${bound} seconds`,
      );
    }
  }
  if (!Number.isSafeInteger(policy.decisionFactor) || policy.decisionFactor < 1) {
    throw new ValidationError('the decision factor must be a whole number of at least 1');
  }
  for (const [level, seconds] of Object.entries(policy.reassessAfter)) {
    if (!Number.isSafeInteger(seconds) || seconds < 1) {
      throw new ValidationError(`re-assessment interval of ${level} must be at least 1 second`);
    }
  }
  return policy;
}

export type Consequences = {
  readonly deadlineClass: DeadlineClass;
  readonly acknowledgeWithinSeconds: number;
  readonly decideWithinSeconds: number;
  /** ISO-8601 UTC with milliseconds. */
  readonly nextReassessmentAt: string;
};

/** What a level assessed at `assessedAt` (ISO-8601 UTC) sets in motion. */
export function consequencesOf(
  policy: AssessmentPolicy,
  level: RiskLevel,
  assessedAt: string,
): Consequences {
  const deadlineClass = DEADLINE_CLASS_OF[level];
  const acknowledge = policy.acknowledgeWithin[deadlineClass];
  return {
    deadlineClass,
    acknowledgeWithinSeconds: acknowledge,
    decideWithinSeconds: acknowledge * policy.decisionFactor,
    nextReassessmentAt: new Date(
      Date.parse(assessedAt) + policy.reassessAfter[level] * 1000,
    ).toISOString(),
  };
}

import { type ConfigSpec, type Variable } from '@aman/service-kit';

import {
  DEADLINE_CLASS_BOUNDS,
  DEFAULT_POLICY,
  checkPolicy,
  type AssessmentPolicy,
  type DeadlineClass,
} from '../domain/index.ts';

const UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Ten years: a re-assessment further away is a typo, and a date past year 9999 is no date. */
const MAX_INTERVAL = 3650 * 86_400;

/** A duration such as `90s`, `30m`, `4h` or `14d`, in whole seconds; at most `max` when given. */
function duration(
  name: string,
  description: string,
  fallbackSeconds: number,
  max = Number.MAX_SAFE_INTEGER,
): Variable<number> {
  return {
    name,
    description,
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '') return fallbackSeconds;
      const match = /^(\d{1,9})([smhd])$/.exec(raw.trim());
      const seconds =
        match === null ? NaN : Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
      if (!Number.isSafeInteger(seconds) || seconds < 1) {
        throw new Error('must be a whole number of s, m, h or d, e.g. 4h');
      }
      if (seconds > max) throw new Error(`must be at most ${max} seconds`);
      return seconds;
    },
  };
}

function acknowledge(deadlineClass: DeadlineClass, variable: string, words: string) {
  const bound = DEADLINE_CLASS_BOUNDS[deadlineClass];
  return duration(
    variable,
    `time a provider has to acknowledge a ${words} referral, at most the class's ${bound / 3600} h`,
    DEFAULT_POLICY.acknowledgeWithin[deadlineClass],
    bound,
  );
}

/** Risk-assessment's own settings: deadlines and re-assessment intervals (see the README). */
export const riskConfigSpec = {
  acknowledgeCritical: acknowledge(
    'DEADLINE_CLASS_CRITICAL',
    'AMAN_RISK_ACKNOWLEDGE_CRITICAL',
    'critical-risk',
  ),
  acknowledgeEmergency: acknowledge(
    'DEADLINE_CLASS_EMERGENCY',
    'AMAN_RISK_ACKNOWLEDGE_EMERGENCY',
    'high-risk (emergency)',
  ),
  acknowledgeUrgent: acknowledge(
    'DEADLINE_CLASS_URGENT',
    'AMAN_RISK_ACKNOWLEDGE_URGENT',
    'medium-risk (urgent)',
  ),
  acknowledgeNormal: acknowledge(
    'DEADLINE_CLASS_NORMAL',
    'AMAN_RISK_ACKNOWLEDGE_NORMAL',
    'low-risk (normal)',
  ),
  decisionFactor: {
    name: 'AMAN_RISK_DECISION_FACTOR',
    description: 'how many acknowledgement periods a provider has to accept or decline',
    parse: (raw) => {
      const value =
        raw === undefined || raw.trim() === '' ? DEFAULT_POLICY.decisionFactor : Number(raw);
      if (!Number.isSafeInteger(value) || value < 1 || value > 100) {
        throw new Error('must be a whole number from 1 to 100');
      }
      return value;
    },
  },
  reassessCritical: duration(
    'AMAN_RISK_REASSESS_CRITICAL',
    'time until a critical-risk case is assessed again',
    DEFAULT_POLICY.reassessAfter.RISK_LEVEL_CRITICAL,
    MAX_INTERVAL,
  ),
  reassessHigh: duration(
    'AMAN_RISK_REASSESS_HIGH',
    'time until a high-risk case is assessed again',
    DEFAULT_POLICY.reassessAfter.RISK_LEVEL_HIGH,
    MAX_INTERVAL,
  ),
  reassessMedium: duration(
    'AMAN_RISK_REASSESS_MEDIUM',
    'time until a medium-risk case is assessed again',
    DEFAULT_POLICY.reassessAfter.RISK_LEVEL_MEDIUM,
    MAX_INTERVAL,
  ),
  reassessLow: duration(
    'AMAN_RISK_REASSESS_LOW',
    'time until a low-risk case is assessed again',
    DEFAULT_POLICY.reassessAfter.RISK_LEVEL_LOW,
    MAX_INTERVAL,
  ),
} satisfies ConfigSpec<Record<string, number>>;

export type RiskConfig = { [K in keyof typeof riskConfigSpec]: number };

export function policyOf(config: RiskConfig): AssessmentPolicy {
  return checkPolicy({
    acknowledgeWithin: {
      DEADLINE_CLASS_CRITICAL: config.acknowledgeCritical,
      DEADLINE_CLASS_EMERGENCY: config.acknowledgeEmergency,
      DEADLINE_CLASS_URGENT: config.acknowledgeUrgent,
      DEADLINE_CLASS_NORMAL: config.acknowledgeNormal,
    },
    decisionFactor: config.decisionFactor,
    reassessAfter: {
      RISK_LEVEL_CRITICAL: config.reassessCritical,
      RISK_LEVEL_HIGH: config.reassessHigh,
      RISK_LEVEL_MEDIUM: config.reassessMedium,
      RISK_LEVEL_LOW: config.reassessLow,
    },
  });
}

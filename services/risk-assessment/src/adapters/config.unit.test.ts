import { describe, expect, it } from '@jest/globals';

import { ConfigError, loadConfig } from '@aman/service-kit';

import { DEFAULT_POLICY } from '../domain/index.ts';
import { policyOf, riskConfigSpec } from './config.ts';

describe('risk-assessment configuration', () => {
  it('defaults to the inter-agency standard: 4 h, 24 h, 72 h, 14 days, decisions 3×, re-assessed after 7, 14, 30, 90 days', () => {
    expect(policyOf(loadConfig(riskConfigSpec, {}))).toEqual(DEFAULT_POLICY);
  });

  it('reads durations in s, m, h or d', () => {
    const policy = policyOf(
      loadConfig(riskConfigSpec, {
        AMAN_RISK_ACKNOWLEDGE_CRITICAL: '2h',
        AMAN_RISK_ACKNOWLEDGE_NORMAL: '7d',
        AMAN_RISK_DECISION_FACTOR: '2',
        AMAN_RISK_REASSESS_CRITICAL: '3d',
        AMAN_RISK_REASSESS_LOW: '90s',
      }),
    );
    expect(policy.acknowledgeWithin).toMatchObject({
      DEADLINE_CLASS_CRITICAL: 7200,
      DEADLINE_CLASS_NORMAL: 7 * 86_400,
    });
    expect(policy.decisionFactor).toBe(2);
    expect(policy.reassessAfter).toMatchObject({
      RISK_LEVEL_CRITICAL: 3 * 86_400,
      RISK_LEVEL_LOW: 90,
    });
  });

  it('refuses a class loosened past its bound, and a duration it cannot read, naming the variable', () => {
    let thrown: unknown;
    try {
      loadConfig(riskConfigSpec, {
        AMAN_RISK_ACKNOWLEDGE_CRITICAL: '5h',
        AMAN_RISK_REASSESS_HIGH: 'two weeks',
        AMAN_RISK_DECISION_FACTOR: '0',
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { problems } = thrown as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('AMAN_RISK_ACKNOWLEDGE_CRITICAL');
    expect(problems[0]).toContain('at most 14400 seconds');
    expect(problems[1]).toContain('AMAN_RISK_DECISION_FACTOR');
    expect(problems[2]).toContain('AMAN_RISK_REASSESS_HIGH');
  });
});

import { describe, expect, it } from '@jest/globals';

import { expectAmanError } from '@aman/testing';

import {
  DEADLINE_CLASS_OF,
  DEFAULT_POLICY,
  RISK_LEVELS,
  checkPolicy,
  consequencesOf,
} from './index.ts';

const HOUR = 3600;

describe('what a level sets in motion', () => {
  it('gives critical risk the critical class, high emergency, medium urgent, low normal', () => {
    expect(RISK_LEVELS.map((level) => DEADLINE_CLASS_OF[level])).toEqual([
      'DEADLINE_CLASS_NORMAL',
      'DEADLINE_CLASS_URGENT',
      'DEADLINE_CLASS_EMERGENCY',
      'DEADLINE_CLASS_CRITICAL',
    ]);
  });

  it('sets by default 4 h, 24 h, 72 h and 14 days to acknowledge, three times that to decide, and the next re-assessment', () => {
    const at = '2025-03-01T10:00:00.000Z';
    expect(RISK_LEVELS.map((level) => consequencesOf(DEFAULT_POLICY, level, at))).toEqual([
      {
        deadlineClass: 'DEADLINE_CLASS_NORMAL',
        acknowledgeWithinSeconds: 14 * 24 * HOUR,
        decideWithinSeconds: 42 * 24 * HOUR,
        nextReassessmentAt: '2025-05-30T10:00:00.000Z',
      },
      {
        deadlineClass: 'DEADLINE_CLASS_URGENT',
        acknowledgeWithinSeconds: 72 * HOUR,
        decideWithinSeconds: 216 * HOUR,
        nextReassessmentAt: '2025-03-31T10:00:00.000Z',
      },
      {
        deadlineClass: 'DEADLINE_CLASS_EMERGENCY',
        acknowledgeWithinSeconds: 24 * HOUR,
        decideWithinSeconds: 72 * HOUR,
        nextReassessmentAt: '2025-03-15T10:00:00.000Z',
      },
      {
        deadlineClass: 'DEADLINE_CLASS_CRITICAL',
        acknowledgeWithinSeconds: 4 * HOUR,
        decideWithinSeconds: 12 * HOUR,
        nextReassessmentAt: '2025-03-08T10:00:00.000Z',
      },
    ]);
  });

  it('may tighten a class but never loosen it', async () => {
    const tighter = {
      ...DEFAULT_POLICY,
      acknowledgeWithin: { ...DEFAULT_POLICY.acknowledgeWithin, DEADLINE_CLASS_CRITICAL: HOUR },
      decisionFactor: 2,
    };
    expect(
      consequencesOf(checkPolicy(tighter), 'RISK_LEVEL_CRITICAL', '2025-03-01T00:00:00Z'),
    ).toMatchObject({ acknowledgeWithinSeconds: HOUR, decideWithinSeconds: 2 * HOUR });
    const looser = {
      ...DEFAULT_POLICY,
      acknowledgeWithin: { ...DEFAULT_POLICY.acknowledgeWithin, DEADLINE_CLASS_CRITICAL: 5 * HOUR },
    };
    const error = await expectAmanError((async () => checkPolicy(looser))(), 'AMAN_ERR_VALIDATION');
    expect(error.message).toContain('DEADLINE_CLASS_CRITICAL');
    await expectAmanError(
      (async () => checkPolicy({ ...DEFAULT_POLICY, decisionFactor: 0 }))(),
      'AMAN_ERR_VALIDATION',
    );
    await expectAmanError(
      (async () =>
        checkPolicy({
          ...DEFAULT_POLICY,
          reassessAfter: { ...DEFAULT_POLICY.reassessAfter, RISK_LEVEL_LOW: 0 },
        }))(),
      'AMAN_ERR_VALIDATION',
    );
  });
});

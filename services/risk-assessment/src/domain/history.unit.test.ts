import { describe, expect, it } from '@jest/globals';

import {
  assessmentDecider,
  historyOf,
  type AssessmentCommand,
  type AssessmentEvent,
} from './index.ts';

const circumstances = {
  profile: 'PROFILE_JOURNALIST',
  gender: 'GENDER_MAN',
  outsideCapital: false,
  familyExposed: false,
  vulnerabilities: { minority: false, disability: false, publicVisibility: false },
  capacities: { supportNetwork: false, relocationOptions: false, digitalSecurity: false },
} as const;

function run(commands: readonly AssessmentCommand[]): AssessmentEvent[] {
  let state = assessmentDecider.initialState();
  const events: AssessmentEvent[] = [];
  for (const command of commands) {
    const decided = assessmentDecider.decide(command, state) as AssessmentEvent[];
    events.push(...decided);
    state = decided.reduce(assessmentDecider.evolve, state);
  }
  return events;
}

const submitted: AssessmentCommand = {
  type: 'AssessCase',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    facts: { ...circumstances, threats: [] },
    assessedAt: '2025-03-01T10:00:00Z',
  },
};
const overridden: AssessmentCommand = {
  type: 'OverrideAssessment',
  data: {
    caseId: 'c-1',
    organisationId: 'org-ngo',
    principalId: 'key_assessor',
    level: 'RISK_LEVEL_HIGH',
    justification: 'Canary: the local commander named the person on the radio.',
    idempotencyKey: 'ovr-1',
    overriddenAt: '2025-03-02T10:00:00Z',
  },
};
const stop = (reason: 'CASE_WITHDRAWN' | 'CASE_ERASED'): AssessmentCommand => ({
  type: 'StopReassessment',
  data: { caseId: 'c-1', reason, stoppedAt: '2025-03-03T10:00:00Z' },
});

describe('historyOf', () => {
  it('lists every assessment oldest first, each override with who, when and why', () => {
    const history = historyOf(run([submitted, overridden]));
    expect(history.organisationId).toBe('org-ngo');
    expect(history.stopped).toBeUndefined();
    expect(
      history.entries.map(({ assessment }) => [
        assessment.sequence,
        assessment.trigger,
        assessment.level,
        assessment.methodologyVersion,
      ]),
    ).toEqual([
      [1, 'ASSESSMENT_TRIGGER_SUBMISSION', 'RISK_LEVEL_LOW', 'aman-risk-v2'],
      [2, 'ASSESSMENT_TRIGGER_OVERRIDE', 'RISK_LEVEL_HIGH', 'aman-risk-v2'],
    ]);
    expect(history.entries[0]?.override).toBeUndefined();
    expect(history.entries[1]?.override).toMatchObject({
      level: 'RISK_LEVEL_HIGH',
      computedLevel: 'RISK_LEVEL_LOW',
      justification: 'Canary: the local commander named the person on the radio.',
      justificationWithheld: false,
      overriddenBy: { organisationId: 'org-ngo', principalId: 'key_assessor' },
      overriddenAt: '2025-03-02T10:00:00.000Z',
    });
  });

  it('says why re-assessment stopped, and withholds justifications once the case is erased', () => {
    expect(historyOf(run([submitted, overridden, stop('CASE_WITHDRAWN')])).stopped).toBe(
      'CASE_WITHDRAWN',
    );
    const erased = historyOf(
      run([submitted, overridden, stop('CASE_WITHDRAWN'), stop('CASE_ERASED')]),
    );
    expect(erased.stopped).toBe('CASE_ERASED');
    expect(erased.entries[1]?.override).toMatchObject({
      justification: '',
      justificationWithheld: true,
    });
    expect(JSON.stringify(erased)).not.toContain('Canary');
  });

  it('is empty, with no organisation, for a case never assessed', () => {
    expect(historyOf([])).toEqual({ organisationId: undefined, entries: [], stopped: undefined });
  });
});
